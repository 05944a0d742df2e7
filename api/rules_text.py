"""The rule files' human text in each language: where each text lives, its translations, and their upkeep.

Rule files are written in English. Their translations live beside them as gettext catalogues, one per rule
file and language: ``rules/locale/es/credentials/aama/cma.po`` translates ``rules/credentials/aama/cma.yaml``.
Each entry's context (``msgctxt``) says where the text sits in its file by ids, not positions where ids
exist (``criteria.clock-hours-720.label``, ``routes.category-1.label``, ``notes.ma-certified.summary``); its
``msgid`` is the English text, so a changed English text has no translation until a translator updates it.

``python -m api.rules_text update`` writes the catalogues (keeping every translation whose English is
unchanged, and keeping a changed one as a fuzzy draft for the translator); ``python -m api.rules_text check``
(run by the tests) fails on any text without a reviewed translation.

The rule set loads the catalogues as data (``RuleSet.translations``); :class:`RuleText` reads them.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from engine import RuleSet

from .i18n import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["RuleText", "Text", "rule_texts"]


@dataclass(frozen=True)
class Text:
    file: str  # the rule file, relative to the rule set's root
    context: str  # where the text sits in the file
    english: str


def _verification(file: str, where: str, verification: object) -> Iterator[Text]:
    note = getattr(verification, "note", None)
    if note:
        yield Text(file, f"{where}verification.note", note)


def rule_texts(rules: RuleSet) -> Iterator[Text]:
    """Every text of the rule set that a person reads, with where it sits."""
    vocab = "vocabulary.yaml"
    for name, vocabulary in rules.vocabularies.items():
        yield Text(vocab, f"{name}.description", vocabulary.description)
        for code, label in vocabulary.values.items():
            if name == "us_state" and code in rules.states:
                continue  # a researched state's name is translated with its state file
            yield Text(vocab, f"{name}.values.{code}", label)
    for d in rules.derivations:
        yield Text("derivations.yaml", f"derivations.{d.id}.label", d.label)
        yield from _verification("derivations.yaml", f"derivations.{d.id}.", d.verification)
    for cred in rules.credentials.values():
        f = cred.path
        yield Text(f, "summary", cred.summary)
        yield from _verification(f, "", cred.verification)
        for key, crit in cred.criteria.items():
            yield Text(f, f"criteria.{key}.label", crit.label)
            if crit.note:
                yield Text(f, f"criteria.{key}.note", crit.note)
            if crit.incomplete:
                yield Text(f, f"criteria.{key}.incomplete", crit.incomplete)
            if crit.verification is not cred.verification:
                yield from _verification(f, f"criteria.{key}.", crit.verification)
        groups = {}
        for route in cred.routes:
            yield Text(f, f"routes.{route.key}.label", route.label)
            if route.summary:
                yield Text(f, f"routes.{route.key}.summary", route.summary)
            if route.reason:
                yield Text(f, f"routes.{route.key}.reason", route.reason)
            if route.verification is not cred.verification:
                yield from _verification(f, f"routes.{route.key}.", route.verification)
            for j, (text, _) in enumerate(route.not_evaluated):
                yield Text(f, f"routes.{route.key}.not_evaluated.{j}", text)
            for entry in route.entries:
                if hasattr(entry, "members"):
                    groups[entry.key] = entry
        for key, group in groups.items():
            yield Text(f, f"groups.{key}.label", group.label)
        for j, (fact, _) in enumerate(cred.facts):
            yield Text(f, f"facts.{j}.label", fact.label)
            if fact.note:
                yield Text(f, f"facts.{j}.note", fact.note)
            if fact.unit:
                yield Text(f, f"facts.{j}.unit", fact.unit)
            if isinstance(fact.value, str):
                yield Text(f, f"facts.{j}.value", fact.value)
            elif isinstance(fact.value, list):
                for k, dated in enumerate(fact.value):
                    if isinstance(dated.value, str):
                        yield Text(f, f"facts.{j}.value.{k}", dated.value)
            yield from _verification(f, f"facts.{j}.", fact.verification)
        for j, text in enumerate(cred.uncertain):
            yield Text(f, f"uncertain.{j}", text)
    for state in rules.states.values():
        f = state.path
        yield Text(f, "name", state.name)
        yield Text(f, "summary", state.summary)
        for note in state.notes:
            key = note.id.rsplit(".", 1)[1]
            yield Text(f, f"notes.{key}.title", note.title)
            yield Text(f, f"notes.{key}.summary", note.summary)
            yield from _verification(f, f"notes.{key}.", note.verification)
        for j, text in enumerate(state.unconfirmed):
            yield Text(f, f"unconfirmed.{j}", text)


class RuleText:
    """The rule set's text in one language, English where a translation is missing."""

    def __init__(self, rules: RuleSet, language: str) -> None:
        self.language = language
        self.table = rules.translations.get(language, {}) if language != DEFAULT_LANGUAGE else {}

    def get(self, file: str, context: str, english: str) -> str:
        if not self.table:
            return english
        return self.table.get((file, context, english), english)

    def __call__(self, file: str, context: str, english: str | None) -> str | None:
        return None if english is None else self.get(file, context, english)


# ------------------------------------------------------------------------------------------ upkeep


def catalogue_path(root: Path, language: str, file: str) -> Path:
    return root / "locale" / language / Path(file).with_suffix(".po")


def update(rules: RuleSet, language: str) -> list[Path]:
    """Write each rule file's catalogue for ``language``: new texts untranslated, changed texts fuzzy."""
    root = Path(rules.root)
    by_file: dict[str, list[Text]] = {}
    for text in rule_texts(rules):
        by_file.setdefault(text.file, []).append(text)
    written = []
    for file, texts in by_file.items():
        template = Catalog(
            locale=LANGUAGES[language],
            project="credcheck rules",
            copyright_holder="the credcheck contributors",
            msgid_bugs_address="https://github.com/credcheck/credcheck/issues",
            last_translator="credcheck maintainers",
            language_team="Spanish (United States)",
            fuzzy=False,
        )
        for text in texts:
            template.add(text.english, context=text.context, locations=[(file, 0)])
        path = catalogue_path(root, language, file)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=LANGUAGES[language])
            catalog.update(template, update_header_comment=False)
            catalog.obsolete.clear()  # a text removed from the rules is gone, not kept for later
        else:
            catalog = template
        catalog.revision_date = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # stable output: no date churn
        catalog.creation_date = catalog.revision_date
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=120, omit_header=False, include_previous=True, sort_output=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != buffer.getvalue():
            path.write_bytes(buffer.getvalue())
            written.append(path)
    return written


def missing(rules: RuleSet, language: str) -> list[Text]:
    """Texts without a reviewed translation (none, empty or fuzzy) in ``language``."""
    table = rules.translations.get(language, {})
    return [t for t in rule_texts(rules) if (t.file, t.context, t.english) not in table]


def main(argv: list[str] | None = None) -> int:
    from engine import load_rule_set

    args = argv if argv is not None else sys.argv[1:]
    command = args[0] if args else "check"
    root = Path(args[1]) if len(args) > 1 else None
    from engine import default_rules_dir

    rules = load_rule_set(root or default_rules_dir())
    languages = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
    if command == "update":
        for language in languages:
            for path in update(rules, language):
                print(f"wrote {path}")
        return 0
    if command == "check":
        status = 0
        for language in languages:
            lacking = missing(rules, language)
            for text in lacking[:50]:
                print(f"{language}: {text.file}: {text.context}: no translation of {text.english[:60]!r}")
            if lacking:
                print(f"{language}: {len(lacking)} rule texts without a translation", file=sys.stderr)
                status = 1
        return status
    print("usage: python -m api.rules_text [update|check] [RULES_DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
