"""How skill names are compared: one key for every way of writing a name.

``normalize_skill_name("ＶＢＡ")``, ``"vba"`` and ``"V B A"`` give the same key.
NFKC folds full-width letters and half-width katakana; casefold folds case;
spaces, middle dots, underscores and hyphens are dropped because Japanese
and English writers use them inconsistently (``Google・スプレッドシート``).
"""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s・･\u3000_\-]+")


def normalize_skill_name(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())
