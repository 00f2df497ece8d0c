"""Reading a gettext ``.po`` file, enough to check the Japanese catalogue.

A deliberately small reader (no third-party package): entries of
``msgctxt`` / ``msgid`` / ``msgid_plural`` / ``msgstr`` / ``msgstr[n]`` with
their continuation lines and ``#,`` flags, as ``makemessages`` writes them.
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "src/tsunagu/locale/ja/LC_MESSAGES/django.po"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """The key ``gettext.GNUTranslations`` files the entry under."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def read_po(path: Path = CATALOGUE) -> list[Entry]:
    """Every entry but the header, in file order."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry
        if entry.msgid or entry.msgstrs:
            entries.append(entry)
        entry = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current = None
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(entry, current, ast.literal_eval(line))
        else:
            keyword, _space, literal = line.partition(" ")
            current = _slot(keyword)
            _append(entry, current, ast.literal_eval(literal), start=True)
    finish()
    return [item for item in entries if item.msgid]


def _slot(keyword: str) -> tuple[str, int]:
    if keyword.startswith("msgstr["):
        return ("msgstr", int(keyword[7:-1]))
    return (keyword, 0)


def _append(entry: Entry, slot: tuple[str, int] | None, text: str, start: bool = False) -> None:
    if slot is None:
        raise ValueError("a continuation line outside an entry")
    name, index = slot
    if name == "msgstr":
        entry.msgstrs[index] = ("" if start else entry.msgstrs.get(index, "")) + text
    elif name == "msgid":
        entry.msgid = ("" if start else entry.msgid) + text
    elif name == "msgid_plural":
        entry.msgid_plural = ("" if start else entry.msgid_plural or "") + text
    elif name == "msgctxt":
        entry.msgctxt = ("" if start else entry.msgctxt or "") + text
