"""The loader rejects broken rule files with messages that name the file, the key and the line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine import RuleSetError, load_rule_set
from tests.helpers import make_rule_set

REPO = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad_rules"
BAD_FILE = "credentials/test/bad.yaml"


def problems_of(root: Path) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(root)
    return [str(p) for p in caught.value.problems]


CASES = [
    ("duplicate_key", ["criteria.hours", "duplicate key (first defined on line 11)"], 16),
    ("unknown_key", ["criteria.hours.lable", "unknown key"], 12),
    ("bad_date", ["sources.doc.retrieved", "`2026-02-30` is not a valid date"], 9),
    (
        "unknown_source",
        ["criteria.hours.cite.1.source", "unknown source `handbook`; this file lists: doc"],
        15,
    ),
    ("unknown_criterion", ["routes.0.criteria.1", "unknown criterion `externship`"], 17),
    ("unknown_field", ["criteria.hours.measure", "`program.clock_hourz` is not an applicant field"], 13),
    (
        "unknown_vocabulary_value",
        ["criteria.accredited.test.one_of", "`CAAHEPP` is not in the `accreditor` vocabulary"],
        14,
    ),
    ("wrong_operator", ["criteria.hours.test.is", "`is` does not apply to a number measure"], 14),
    ("yes_is_not_a_boolean", ["criteria.military.test.is", "valid boolean"], 14),
    ("mixed_time_units", ["criteria.recent.test", "do not mix days with months or years"], 14),
    ("overlapping_dated_values", ["criteria.hours.test.at_least", "they may not overlap"], 15),
    ("unordered_effective", ["routes.0.effective", "`from` (2026-01-01) is after `to` (2025-01-01)"], 19),
    ("id_mismatch", ["`id`", "id `test.other` does not match the file path (expected `test.bad`)"], 1),
    ("threshold_not_a_number", ["criteria.hours.test.at_least", "`seven hundred` is not a number"], 14),
    ("missing_key", ["criteria.hours.label", "required key is missing"], 11),
    ("duplicate_route_id", ["routes.1.id", "id `only` is already used by routes.0"], 18),
    ("syntax_error", ["YAML syntax error"], None),
]


@pytest.mark.parametrize(("mode", "fragments", "line"), CASES, ids=[c[0] for c in CASES])
def test_each_broken_file_is_rejected_with_file_key_and_line(
    tmp_path: Path, mode: str, fragments: list[str], line: int | None
) -> None:
    root = make_rule_set(tmp_path, {BAD_FILE: (BAD / f"{mode}.yaml").read_text()})
    problems = problems_of(root)
    matching = [p for p in problems if all(f in p for f in fragments)]
    assert matching, f"no problem mentions {fragments}; got:\n" + "\n".join(problems)
    assert matching[0].startswith(BAD_FILE), matching[0]
    if line is not None:
        assert matching[0].startswith(f"{BAD_FILE}:{line}:"), matching[0]


def test_every_bad_fixture_has_a_case() -> None:
    from tests.engine.test_loader_checks import CHECKS, OTHER_FILES  # the other broken files' cases

    covered = {c[0] for c in CASES} | {"unused_source_and_criterion"} | set(CHECKS) | OTHER_FILES
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(covered)


def test_unused_sources_and_criteria_are_reported_together(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {BAD_FILE: (BAD / "unused_source_and_criterion.yaml").read_text()})
    problems = problems_of(root)
    assert any("`sources.spare` source is never cited" in p for p in problems), problems
    assert any("`criteria.externship` criterion is not used by any route" in p for p in problems), problems


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    root = make_rule_set(
        tmp_path,
        {
            BAD_FILE: (BAD / "unknown_field.yaml").read_text(),
            "credentials/test/other.yaml": (BAD / "unknown_key.yaml").read_text().replace("test.bad", "test.other"),
        },
    )
    problems = problems_of(root)
    assert any(p.startswith("credentials/test/bad.yaml") for p in problems)
    assert any(p.startswith("credentials/test/other.yaml") for p in problems)


def test_code_in_the_rules_directory_is_refused(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {"credentials/aama/helper.py": "print('no code here')\n"})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama", dirs_exist_ok=True)
    problems = problems_of(root)
    assert any(p.startswith("credentials/aama/helper.py") and "unexpected file" in p for p in problems), problems


def test_state_file_checks(tmp_path: Path) -> None:
    state = """\
code: TX
name: Oregon
summary: A state file with mistakes.
sources:
  law: {title: A statute, url: https://example.org/law, kind: official, retrieved: 2026-01-01}
notes:
  - id: rule
    title: A rule
    kind: license
    families: [phlebotomists]
    summary: Something.
    accepts: [nha.cpt, xyz.abc]
    cite: {source: law}
    verification: {source: official, confidence: high}
"""
    root = make_rule_set(tmp_path, {"states/or.yaml": state})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    problems = problems_of(root)
    assert any(p.startswith("states/or.yaml:1: `code`") and "does not match the file name" in p for p in problems), (
        problems
    )
    assert any(
        "`notes.0.families.0`" in p and "`phlebotomists` is not in the credential_family vocabulary" in p
        for p in problems
    )
    assert any("`notes.0.accepts.1`" in p and "`xyz.abc` is not a known credential id" in p for p in problems)


def test_vocabulary_must_declare_exactly_the_expected_vocabularies(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {})
    text = (root / "vocabulary.yaml").read_text().replace("  lab_area:\n", "  lab_areas:\n")
    (root / "vocabulary.yaml").write_text(text)
    problems = problems_of(root)
    assert any(
        p.startswith("vocabulary.yaml") and "missing vocabularies: lab_area" in p and "lab_areas" in p for p in problems
    ), problems


def test_vocabulary_keeps_the_values_the_engine_gives_a_meaning_to(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {})
    text = (root / "vocabulary.yaml").read_text()
    assert "      in-progress: " in text
    (root / "vocabulary.yaml").write_text(text.replace("      in-progress: ", "      ongoing: "))
    problems = problems_of(root)
    assert any(
        p.startswith("vocabulary.yaml") and "`program_status` must keep the values the engine relies on: in-progress"
        in p for p in problems
    ), problems


def test_a_credential_with_a_rule_file_cannot_also_be_an_other_credential(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    vocabulary = root / "vocabulary.yaml"
    text, n = re.subn(
        r"(  other_credential:\n(?:    .*\n)*?    values:\n)",
        r"\1      aama.cma: Certified Medical Assistant\n",
        vocabulary.read_text(),
    )
    assert n == 1
    vocabulary.write_text(text)
    problems = problems_of(root)
    assert any("other_credential.values.aama.cma" in p and "remove it from other_credential" in p for p in problems), (
        problems
    )


def test_the_bundled_rule_set_is_valid() -> None:
    rules = load_rule_set(REPO / "rules")
    assert {"aama.cma", "amt.rma", "nha.ccma", "ascp.mlt"} <= set(rules.credentials)
    assert {"CA", "WA", "NY", "FL"} <= set(rules.states)


def test_digest_changes_with_any_rule_file(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    first = load_rule_set(root).digest
    path = root / "credentials" / "aama" / "cma.yaml"
    path.write_text(path.read_text().replace("Certified Medical Assistant", "Certified Medical Assistant ", 1))
    assert load_rule_set(root).digest != first


def test_every_criterion_cites_its_sources_with_the_pinpoints_of_its_rule_file() -> None:
    """Each citation keeps the source's title and URL from its file's `sources` and the pinpoint of the cite."""
    import yaml

    rules = load_rule_set(REPO / "rules")
    checked = 0
    for cred in rules.credentials.values():
        data = yaml.safe_load((REPO / "rules" / cred.path).read_text())
        for key, crit in cred.criteria.items():
            cites = data["criteria"][key]["cite"]
            cites = cites if isinstance(cites, list) else [cites]
            loaded = [(c.source, c.title, c.url, c.pinpoint) for c in crit.citations]
            sources = data["sources"]
            written = [
                (c["source"], *(sources[c["source"]][k] for k in ("title", "url")), c.get("pinpoint"))
                for c in cites
            ]
            assert loaded == written, (cred.id, key)
            checked += sum(c.get("pinpoint") is not None for c in cites)
    assert checked > 100  # the bundled rule set pinpoints most of its citations
