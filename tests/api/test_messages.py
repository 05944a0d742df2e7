"""The answers' messages (the files api/babel.cfg lists: api/render.py, the CLI's text in api/cli.py, the
batch files' words in api/batch_io.py): the template is up to date, every message has its Spanish
translation, and each translation has the same placeholders as its English (brace fields, ``{n}``)."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from api.i18n import LOCALE_DIR, catalogue

REPO = Path(__file__).resolve().parents[2]
SOURCES = re.findall(r"^\[python: (\S+)\]", (REPO / "api" / "babel.cfg").read_text(), flags=re.M)
KEYWORDS = {"_": None, "N_": (1, 2)}


def _key(message_id: Any) -> str | tuple[str, ...]:
    return message_id if isinstance(message_id, str) else tuple(message_id)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def extracted() -> set[str | tuple[str, ...]]:
    return {
        _key(m[1])
        for source in SOURCES
        for m in extract_from_file("python", str(REPO / source), keywords=KEYWORDS, comment_tags=())
    }


def spanish() -> Any:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="es_US", domain="messages")


def test_the_template_catalogue_matches_the_code() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = {_key(m.id) for m in read_po(handle) if m.id}
    found = extracted()
    assert len(found) > 40  # the walk found the messages
    assert template == found, "api/locale/messages.pot is out of date: run `make messages` and translate"


def test_every_message_has_a_spanish_translation_with_the_same_placeholders() -> None:
    missing, mismatched = [], []
    for m in spanish():
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if m.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(ids[0])
            continue
        english = set().union(*(_fields(i) for i in ids))
        if any(_fields(s) != english for s in strings):
            mismatched.append((ids[0], strings))
    assert not missing, f"messages without a (non-fuzzy) Spanish translation: {missing}"
    assert not mismatched, f"translations whose placeholders differ from the English: {mismatched}"
    assert extracted() <= {_key(m.id) for m in spanish() if m.id}, "run `make messages`"


def test_the_plural_forms_follow_spanish() -> None:
    messages = catalogue("es", "messages")
    one, many = messages.ngettext("{n} year", "{n} years", 1), messages.ngettext("{n} year", "{n} years", 3)
    assert one != many and "{n}" in one and "{n}" in many
