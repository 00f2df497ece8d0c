"""Japanese text for the demo's rows, chosen from fixed lists by a row's seed.

Every function here is pure: the same ``seed`` (a row's ``text_seed``, drawn
from a seeded stream) gives the same words, so the text is as reproducible as
the numbers. Nothing depends on a latent trait; reading the words tells the
matching engine no more than a real posting would.
"""

from tsunagu.demo.names import (
    COMPANY_FORMS,
    COMPANY_KINDS,
    COMPANY_STEMS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    INDUSTRIES,
    NICK_LABELS,
)

# TODO(#2): a few hundred phrases make the text repetitive in a large market;
# more subjects per category (and English text for English pages) would help.
# fmt: off
# What a client asks for, by category: the subject of a project's title.
PROJECT_SUBJECTS: dict[str, tuple[str, ...]] = {
    "system-development": (
        "在庫管理システムの改修", "社内向け予約管理システムの開発",
        "Pythonによるデータ集計ツールの作成",
        "基幹システムとのAPI連携", "Webアプリのバックエンド開発", "業務効率化ツールの開発",
        "既存PHPシステムの保守・機能追加", "スクレイピングツールの作成",
    ),
    "app-development": (
        "iOS・Android対応アプリの開発", "Flutterによる会員アプリの開発", "既存アプリのUI改善",
        "店舗向けポイントアプリの開発", "アプリのバグ修正と機能追加", "LINEミニアプリの開発",
    ),
    "web-production": (
        "コーポレートサイトのリニューアル", "WordPressでのホームページ制作",
        "LP（ランディングページ）制作",
        "採用サイトの制作", "既存サイトのスマホ対応", "飲食店のホームページ制作",
        "WordPressテーマのカスタマイズ",
    ),
    "ec-site": (
        "Shopifyでのネットショップ構築", "ECサイトの商品ページ制作", "BASEショップのデザイン改善",
        "楽天市場の店舗運営サポート", "ECサイトの商品登録代行", "Amazon出品ページの作成",
    ),
    "design": (
        "会社ロゴのデザイン", "名刺デザインの作成", "チラシ・フライヤーのデザイン",
        "Webバナーの制作", "パンフレットのデザイン", "アイコンイラストの作成",
        "商品パッケージのデザイン",
    ),
    "video-photo": (
        "YouTube動画の編集", "商品紹介動画の制作", "SNS用ショート動画の編集",
        "セミナー動画のカット編集", "商品写真の撮影・レタッチ", "会社紹介動画の制作",
    ),
    "music-audio": (
        "動画用ナレーションの収録", "オリジナルBGMの作曲", "ポッドキャストの音声編集",
        "企業VPのナレーション", "ジングルの制作", "音声ノイズ除去と整音",
    ),
    "writing": (
        "SEO記事の執筆", "美容系コラムの作成", "商品レビュー記事の作成",
        "インタビュー記事のライティング", "メールマガジンの原稿作成", "不動産に関する記事の執筆",
        "ブログ記事のリライト",
    ),
    "translation": (
        "Webサイトの英訳", "英語マニュアルの和訳", "商品説明の中国語翻訳",
        "契約書の英文翻訳", "動画字幕の英訳", "海外向け資料の翻訳",
    ),
    "data-entry": (
        "Excelでの売上データ集計", "Excelマクロ（VBA）による業務自動化", "商品データの入力",
        "名刺データの入力", "アンケート結果の集計", "Googleスプレッドシートの関数作成",
        "顧客リストの整理", "請求データのExcel入力",
    ),
    "marketing": (
        "Instagram運用代行", "リスティング広告の運用", "競合調査レポートの作成",
        "SNS投稿の企画と作成", "SEO内部対策の改善提案", "市場調査とアンケート設計",
    ),
    "business-support": (
        "オンライン秘書業務", "経理・記帳の代行", "カスタマーサポートのメール対応",
        "営業リストの作成", "資料作成（PowerPoint）", "日程調整と事務サポート",
    ),
    "professional": (
        "就業規則の作成相談", "補助金申請書類の作成支援", "税務に関するスポット相談",
        "契約書のリーガルチェック", "事業計画書の作成支援", "社内研修の講師",
    ),
}

TASK_SUBJECTS: dict[str, tuple[str, ...]] = {
    "data-entry": (
        "商品情報の入力", "レシート画像の入力", "住所データの確認", "Web検索による情報収集",
    ),
    "writing": (
        "300文字の口コミ記事", "体験談アンケートへの回答", "商品の感想文", "短いコラム作成",
    ),
    "marketing": ("アンケートへの回答", "SNSの投稿チェック", "店舗情報のリサーチ"),
    "translation": ("短文の英訳チェック", "商品名の翻訳"),
    "business-support": ("名刺データの確認", "Webサイトの動作確認"),
    "ec-site": ("商品画像の切り抜き", "商品カテゴリの分類"),
}
DEFAULT_TASK_SUBJECTS = ("簡単な確認作業", "データの分類作業", "画像のタグ付け")

COMPETITION_SUBJECTS: dict[str, tuple[str, ...]] = {
    "design": (
        "新サービスのロゴ", "店舗の看板デザイン", "キャラクターデザイン", "Tシャツのデザイン",
    ),
    "writing": ("キャッチコピー", "商品のネーミング", "ブランドスローガン"),
    "music-audio": ("CM用ジングル", "テーマソング"),
    "video-photo": ("オープニング映像", "イメージ写真"),
    "marketing": ("キャンペーン名", "広告バナー案"),
}
DEFAULT_COMPETITION_SUBJECTS = ("ロゴマーク", "キャッチコピー")

TITLE_PREFIXES = (
    "", "", "", "【急募】", "【継続案件】", "【初心者歓迎】", "【在宅OK】", "【長期】",
)
TITLE_SUFFIXES = ("をお願いします", "のご依頼", "", "", "を募集します", "（リモート可）")
DETAILS = (
    "現在の運用で手間がかかっている部分を改善したいと考えています。",
    "初めての依頼のため、進め方もご相談しながら決められれば幸いです。",
    "参考資料とこれまでの経緯は契約後に共有いたします。",
    "ご経験のある方でしたら、仕様の細かい部分はお任せしたいと思います。",
    "今後も継続して同様のお仕事をお願いできる方を探しています。",
    "ご提案の際に、似たお仕事の実績があれば教えてください。",
)
CLOSINGS = (
    "ご応募をお待ちしております。",
    "よろしくお願いいたします。",
    "気になる点があればお気軽にメッセージください。",
)
PROPOSAL_OPENINGS = (
    "はじめまして。ご依頼内容を拝見し、ぜひお手伝いしたくご提案いたします。",
    "お世話になります。募集内容を拝見しました。",
    "こんにちは。似た案件の経験がございますのでご提案させてください。",
)
PROPOSAL_BODIES = (
    "これまで{category}のお仕事を中心に対応してきました。",
    "丁寧なやり取りと納期厳守を心がけております。",
    "進捗はこまめにご報告いたします。",
    "修正のご要望にも柔軟に対応いたします。",
)
PROPOSAL_CLOSINGS = ("ご検討のほど、よろしくお願いいたします。", "ご連絡をお待ちしております。")
SCOUT_MESSAGES = (
    "プロフィールを拝見し、ぜひご提案いただきたくご連絡しました。",
    "{title}の件で、ご経験を活かしていただけないかと思いご招待しました。",
    "以前のお仕事の評価を拝見しました。ご興味があればご提案ください。",
)
OFFER_MESSAGES = (
    "{title}を直接お願いしたくご連絡しました。条件をご確認ください。",
    "前回のお仕事が大変よかったので、今回もぜひお願いしたいです。",
)
MILESTONE_STEPS = (
    ("着手・要件確認", "初稿の納品", "最終納品"),
    ("構成案の提出", "本制作", "修正・納品"),
)
ENTRY_TITLES = (
    "案A", "シンプル案", "親しみやすい案", "力強い案", "やわらかい案", "和風案", "モダン案",
)
ENTRY_NOTES = (
    "ブランドの誠実さが伝わるよう、余白を活かしました。",
    "遠くからでも読みやすいことを重視しています。",
    "色違いのバリエーションもご用意できます。",
    "ターゲット層に親しみを持っていただける雰囲気にしました。",
)
WORKER_REVIEW_COMMENTS = {
    5: ("期待以上の仕上がりでした。またお願いしたいです。", "対応が早く、とても丁寧でした。",
        "安心してお任せできました。ありがとうございました。"),
    4: ("丁寧に対応していただきました。", "全体的に満足しています。"),
    3: ("納品物は問題ありませんでしたが、連絡が遅れることがありました。", "概ね依頼通りでした。"),
    2: ("修正が多く、想定より時間がかかりました。",),
    1: ("残念ながら依頼内容と異なる納品でした。",),
}
CLIENT_REVIEW_COMMENTS = {
    5: ("指示が明確でとても進めやすかったです。", "素早いご判断をいただき助かりました。"),
    4: ("気持ちよくお仕事させていただきました。", "またご縁があればよろしくお願いします。"),
    3: ("途中で仕様の変更がありましたが、無事に完了しました。",),
    2: ("ご返信に時間がかかることがありました。",),
    1: ("依頼内容の説明が不足していました。",),
}
THREAD_QUESTIONS = (
    "ご依頼について質問です。参考にしているサイトや資料はありますか？",
    "納期について、多少の前後は可能でしょうか？",
    "素材はご用意いただけますか？",
    "作業量の目安を教えていただけますか？",
)
THREAD_ANSWERS = (
    "ご質問ありがとうございます。契約後に資料をお送りします。",
    "はい、1週間程度でしたら調整できます。",
    "素材はこちらでご用意しています。",
    "詳しくは添付の資料をご確認ください。",
)
KICKOFF_MESSAGES = (
    "このたびはよろしくお願いいたします。資料をお送りしますのでご確認ください。",
    "ご契約ありがとうございます。早速ですが、進め方を相談させてください。",
)
KICKOFF_REPLIES = (
    "ありがとうございます。確認のうえ、着手いたします。",
    "承知しました。不明点があればご連絡します。",
)
PROGRESS_MESSAGES = (
    "進捗のご報告です。予定通り進んでおります。", "途中経過をお送りします。ご確認ください。",
)
DELIVERY_MESSAGES = (
    "納品いたしました。ご確認をお願いいたします。",
    "成果物をお送りします。修正点があればお知らせください。",
)
APPROVAL_MESSAGES = (
    "確認しました。ありがとうございました！", "問題ありません。またよろしくお願いします。",
)
BIO_OPENINGS = (
    "{label}を中心に活動しているフリーランスです。",
    "会社員として働きながら、副業で{label}のお仕事をしています。",
    "子育てをしながら在宅で{label}のお仕事を受けています。",
    "{label}歴は5年ほどになります。",
)
BIO_CLOSINGS = (
    "平日日中はすぐにご連絡できます。",
    "丁寧なコミュニケーションを心がけています。",
    "納期は必ず守ります。お気軽にご相談ください。",
)
PORTFOLIO_TITLES = ("制作実績", "過去の案件より", "サンプル作品", "自主制作")
# fmt: on


def pick(options: tuple[str, ...], seed: int, salt: int = 0) -> str:
    """One of ``options``, fixed by ``seed`` and ``salt`` (a cheap integer hash)."""
    mixed = ((seed ^ (salt * 0x9E3779B1)) * 2654435761) & 0xFFFFFFFF
    return options[(mixed >> 7) % len(options)]


def project_title(category: str, seed: int) -> str:
    subjects = PROJECT_SUBJECTS.get(category, PROJECT_SUBJECTS["business-support"])
    title = pick(TITLE_PREFIXES, seed, 1) + pick(subjects, seed, 2) + pick(TITLE_SUFFIXES, seed, 3)
    return title[:120]


def task_title(category: str, unit_price_yen: int, seed: int) -> str:
    subject = pick(TASK_SUBJECTS.get(category, DEFAULT_TASK_SUBJECTS), seed, 2)
    return f"【1件{unit_price_yen:,}円】{subject}"[:120]


def competition_title(category: str, seed: int) -> str:
    subject = pick(COMPETITION_SUBJECTS.get(category, DEFAULT_COMPETITION_SUBJECTS), seed, 2)
    return f"【コンペ】{subject}の募集"[:120]


def job_description(*, title: str, intro: str, skills: list[str], seed: int) -> str:
    """A posting: who asks, what for, which skills; budget and dates show apart."""
    wanted = "\n".join(f"・{name}" for name in skills) or "・特になし"
    first = DETAILS.index(pick(DETAILS, seed, 4))
    # The second sentence is the next one in the list, never the same twice.
    details = f"{DETAILS[first]}\n{DETAILS[(first + 1) % len(DETAILS)]}"
    return (
        f"{intro}\n以下の内容でお手伝いいただける方を募集しています。\n\n"
        f"【依頼内容】\n{title}\n{details}\n\n"
        f"【求めるスキル】\n{wanted}\n\n{pick(CLOSINGS, seed, 6)}"
    )


def client_intro(industry: str | None) -> str:
    if industry is None:
        return "個人で事業を営んでいます。"
    return f"弊社は{industry}を行っております。"


def proposal_message(category_name: str, seed: int) -> str:
    body = pick(PROPOSAL_BODIES, seed, 2).format(category=category_name)
    return f"{pick(PROPOSAL_OPENINGS, seed, 1)}\n{body}\n{pick(PROPOSAL_CLOSINGS, seed, 3)}"


def invitation_message(*, direct_offer: bool, title: str, seed: int) -> str:
    options = OFFER_MESSAGES if direct_offer else SCOUT_MESSAGES
    return pick(options, seed, 1).format(title=title)


def milestone_title(position: int, count: int, seed: int) -> str:
    """The step's name in a plan of ``count`` steps (1-based ``position``)."""
    if count == 1:
        return "納品一式"
    steps = pick(tuple("|".join(s) for s in MILESTONE_STEPS), seed, 1).split("|")
    return steps[position - 1] if count == 3 else steps[0 if position == 1 else 2]


def entry_title(seed: int, number: int) -> str:
    return f"{pick(ENTRY_TITLES, seed, number)}（{number}）"


def entry_description(seed: int) -> str:
    return pick(ENTRY_NOTES, seed, 1)


def review_comment(*, of_worker: bool, overall: int, seed: int) -> str:
    table = WORKER_REVIEW_COMMENTS if of_worker else CLIENT_REVIEW_COMMENTS
    return pick(table[overall], seed, 1)


def worker_bio(label: str, seed: int) -> str:
    return pick(BIO_OPENINGS, seed, 1).format(label=label) + pick(BIO_CLOSINGS, seed, 2)


def person_name(seed: int) -> str:
    family = pick(FAMILY_NAMES, seed, 11)
    given = GIVEN_NAMES[(seed // 131) % len(GIVEN_NAMES)][0]
    return f"{family} {given}"


def worker_display_name(category: str, seed: int) -> str:
    """A full name, or for two workers in five a nickname like みさき@動画編集."""
    if seed % 5 >= 2:
        return person_name(seed)
    kana = GIVEN_NAMES[(seed // 131) % len(GIVEN_NAMES)][1]
    return f"{kana}@{nick_label(category, seed)}"


def nick_label(category: str, seed: int) -> str:
    return pick(NICK_LABELS.get(category, ("フリーランス",)), seed, 12)


def company_name(seed: int) -> str:
    form = pick(COMPANY_FORMS, seed, 13)
    return f"{form}{pick(COMPANY_STEMS, seed, 14)}{pick(COMPANY_KINDS, seed, 15)}"


def industry(seed: int) -> str:
    return pick(INDUSTRIES, seed, 16)


def headline(label: str, skill: str, seed: int) -> str:
    options = (
        f"{label}のお仕事を承ります（{skill}）",
        f"{skill}が得意です｜{label}",
        f"{label}｜{skill}対応・丁寧な仕事を心がけています",
    )
    return pick(options, seed, 17)[:120]
