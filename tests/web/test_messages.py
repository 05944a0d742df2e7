"""The page's messages: the template catalogue is up to date and every message has its Spanish translation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.i18n import LOCALE_DIR, catalogue

REPO = Path(__file__).resolve().parents[2]
METHODS = [("api/web/**.py", "python"), ("api/web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _key(message_id: Any) -> str | tuple[str, ...]:
    return message_id if isinstance(message_id, str) else tuple(message_id)


def extracted() -> set[str | tuple[str, ...]]:
    return {
        _key(m[2])
        for m in extract_from_dir(str(REPO), METHODS, keywords=KEYWORDS, comment_tags=())
        if m[0].startswith("api/web/")
    }


def test_the_template_catalogue_matches_the_code() -> None:
    with (LOCALE_DIR / "page.pot").open("rb") as handle:
        template = {_key(m.id) for m in read_po(handle) if m.id}
    found = extracted()
    assert len(found) > 150  # the walk found the messages
    assert template == found, "api/locale/page.pot is out of date: run `make page-messages` and translate"


def test_every_page_message_has_its_spanish_translation() -> None:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "page.po").open("rb") as handle:
        spanish = read_po(handle, locale="es_US", domain="page")
    translated = {}
    for m in spanish:
        if not m.id:
            continue
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if strings and all(s.strip() for s in strings) and not m.fuzzy:
            translated[_key(m.id)] = m
    missing = sorted(str(k) for k in extracted() - set(translated))
    assert not missing, f"messages without a (non-fuzzy) Spanish translation: {missing}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in spanish.check() if errors]
    assert not problems, problems  # placeholders (%(date)s...) the same as in English


def test_the_catalogue_is_the_one_the_page_reads() -> None:
    page = catalogue("es", "page")
    assert page.gettext("Check my eligibility") == "Revisar mi elegibilidad"
    assert page.ngettext("The other route", "The other %(num)s routes", 3) == "Las otras %(num)s vías"
