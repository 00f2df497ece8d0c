"""Japan's 47 prefectures, in the official JIS X 0401 order.

Labels are English message ids; the Japanese catalogue gives 東京都 and so on.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Prefecture(models.TextChoices):
    HOKKAIDO = "hokkaido", _("Hokkaido")  # 北海道
    AOMORI = "aomori", _("Aomori")  # 青森県
    IWATE = "iwate", _("Iwate")  # 岩手県
    MIYAGI = "miyagi", _("Miyagi")  # 宮城県
    AKITA = "akita", _("Akita")  # 秋田県
    YAMAGATA = "yamagata", _("Yamagata")  # 山形県
    FUKUSHIMA = "fukushima", _("Fukushima")  # 福島県
    IBARAKI = "ibaraki", _("Ibaraki")  # 茨城県
    TOCHIGI = "tochigi", _("Tochigi")  # 栃木県
    GUNMA = "gunma", _("Gunma")  # 群馬県
    SAITAMA = "saitama", _("Saitama")  # 埼玉県
    CHIBA = "chiba", _("Chiba")  # 千葉県
    TOKYO = "tokyo", _("Tokyo")  # 東京都
    KANAGAWA = "kanagawa", _("Kanagawa")  # 神奈川県
    NIIGATA = "niigata", _("Niigata")  # 新潟県
    TOYAMA = "toyama", _("Toyama")  # 富山県
    ISHIKAWA = "ishikawa", _("Ishikawa")  # 石川県
    FUKUI = "fukui", _("Fukui")  # 福井県
    YAMANASHI = "yamanashi", _("Yamanashi")  # 山梨県
    NAGANO = "nagano", _("Nagano")  # 長野県
    GIFU = "gifu", _("Gifu")  # 岐阜県
    SHIZUOKA = "shizuoka", _("Shizuoka")  # 静岡県
    AICHI = "aichi", _("Aichi")  # 愛知県
    MIE = "mie", _("Mie")  # 三重県
    SHIGA = "shiga", _("Shiga")  # 滋賀県
    KYOTO = "kyoto", _("Kyoto")  # 京都府
    OSAKA = "osaka", _("Osaka")  # 大阪府
    HYOGO = "hyogo", _("Hyogo")  # 兵庫県
    NARA = "nara", _("Nara")  # 奈良県
    WAKAYAMA = "wakayama", _("Wakayama")  # 和歌山県
    TOTTORI = "tottori", _("Tottori")  # 鳥取県
    SHIMANE = "shimane", _("Shimane")  # 島根県
    OKAYAMA = "okayama", _("Okayama")  # 岡山県
    HIROSHIMA = "hiroshima", _("Hiroshima")  # 広島県
    YAMAGUCHI = "yamaguchi", _("Yamaguchi")  # 山口県
    TOKUSHIMA = "tokushima", _("Tokushima")  # 徳島県
    KAGAWA = "kagawa", _("Kagawa")  # 香川県
    EHIME = "ehime", _("Ehime")  # 愛媛県
    KOCHI = "kochi", _("Kochi")  # 高知県
    FUKUOKA = "fukuoka", _("Fukuoka")  # 福岡県
    SAGA = "saga", _("Saga")  # 佐賀県
    NAGASAKI = "nagasaki", _("Nagasaki")  # 長崎県
    KUMAMOTO = "kumamoto", _("Kumamoto")  # 熊本県
    OITA = "oita", _("Oita")  # 大分県
    MIYAZAKI = "miyazaki", _("Miyazaki")  # 宮崎県
    KAGOSHIMA = "kagoshima", _("Kagoshima")  # 鹿児島県
    OKINAWA = "okinawa", _("Okinawa")  # 沖縄県
