"""Languages, their negotiation, and the message catalogues sentences come from.

Every sentence the service writes for people comes from a gettext catalogue read with Babel: the English
text is the message id in the code, and each other language has ``api/locale/<lang>/LC_MESSAGES/<domain>.po``
(read once, at first use; there are no compiled ``.mo`` files to keep in step). Domains:

* ``messages``: explanations of outcomes (criteria, routes, credentials, guidance);
* ``page``: the self-check page's own text.

The text of the rule files (labels, notes, reasons, state-note summaries) is translated by the rule set's own
catalogue (``rules/locale/<lang>.po``), which the rule set carries as data.

``python -m api.i18n check`` (run by the tests) fails on a message without its translation.

Language choice: an explicit ``lang`` wins, else ``Accept-Language`` (RFC 9110 quality values), else English.
An unknown language falls back to English, and the answer says so (``Content-Language: en``).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import parse_pattern
from babel.support import NullTranslations, Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Catalogue", "catalogue", "negotiate"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
# Language tag -> the CLDR locale used for numbers and dates (US conventions in both languages).
LANGUAGES: dict[str, str] = {"en": "en_US", "es": "es_US"}
DOMAINS = ("messages", "page")


def _parse_accept_language(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most preferred first (``q=0`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):  # a bounded number of entries
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip()
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(explicit: str | None = None, accept_language: str | None = None) -> str:
    """The language to answer in: ``explicit`` if supported, else the best of ``Accept-Language``, else English.

    Tags match on their primary subtag (``es-MX`` and ``es-419`` get Spanish); ``*`` means the default.
    """
    candidates = ([explicit] if explicit else []) + _parse_accept_language(accept_language or "")
    for tag in candidates:
        primary = tag.split("-", 1)[0].split("_", 1)[0].lower()
        if primary in LANGUAGES:
            return primary
        if primary == "*":
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Catalogue:
    """One language's catalogue of one domain, with the number formatting that goes with it."""

    language: str
    translations: NullTranslations

    @functools.cached_property
    def locale(self) -> Locale:
        return Locale.parse(LANGUAGES[self.language])

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        """The singular or plural form for ``n`` (languages' own plural rules; whole numbers only matter)."""
        count = int(n) if float(n).is_integer() else 2  # "1.5 years" takes the plural in both languages
        return self.translations.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def say(self, message: str, **values: Any) -> str:
        """``message`` in this language with its ``{fields}`` filled, whole numbers written as the language
        writes them (``1,048,576``)."""
        shown = {k: self.number(v) if type(v) is int else v for k, v in values.items()}
        return self.gettext(message).format(**shown)

    def number(self, value: float) -> str:
        """A number as people write it in this language (``1,040``; at most two decimals)."""
        return _number(value, self.locale)

    def list(self, items: list[str], style: str = "standard") -> str:
        """``a, b, and c`` (or ``a, b, or c`` with ``style="or"``) as the language joins lists."""
        return _list(tuple(items), style, self.locale)


# Babel's formatting parses its pattern and looks up the locale's symbols on every call; answers format the
# same few thousand numbers and lists over and over (hours, counts, input names), so both are memoized.
_NUMBER = parse_pattern("#,##0.##")


@functools.lru_cache(maxsize=8192)
def _number(value: float, locale: Locale) -> str:
    return _NUMBER.apply(value, locale)


@functools.lru_cache(maxsize=8192)
def _list(items: tuple[str, ...], style: str, locale: Locale) -> str:
    return format_list(list(items), style=style, locale=locale)


def _read(language: str, domain: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=LANGUAGES[language], domain=domain)
    # Compiled in memory, as `pybabel compile` would: fuzzy entries are drafts and are left out.
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@functools.cache
def catalogue(language: str, domain: str = "messages") -> Catalogue:
    """The catalogue of ``domain`` in ``language`` (English when the language is not supported)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    try:
        return Catalogue(language, _read(language, domain))
    except UnknownLocaleError:  # pragma: no cover - LANGUAGES lists CLDR locales
        return Catalogue(DEFAULT_LANGUAGE, NullTranslations())
