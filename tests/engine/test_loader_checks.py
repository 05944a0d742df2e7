"""Every check of the loader has a broken rule file that triggers it, and the problem names the file, the
key path, the line (where there is one) and says what is wrong.

The broken files are in ``bad_rules/`` (beside those of ``test_loader.py``); each case puts one of them in a
rule set made of the bundled index and vocabulary, and compares the problems the loader reports with the
expected one field by field. Checks that need the whole rule set (vocabulary, index, duplicate ids across
files, the durable-rules limits) build their rule set in the test.

The source of each check: ``engine/_yaml.py`` (reading), ``engine/_schema.py`` and ``engine/_vocab.py``
(the shape of each file), ``engine/_loader.py`` and ``engine/_measures.py`` (references between files,
measures against the applicant model, tests against measures) and ``engine/_program.py`` (the limits of one
durable-rules ruleset).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.cli import main as cli
from engine import MAX_RULES, REQUIRED_VOCABULARIES, RuleProblem, RuleSetError, load_rule_set, load_rulebook
from tests.helpers import REPO, credential, make_rule_set

BAD = Path(__file__).parent / "bad_rules"
CRED = "credentials/test/bad.yaml"
STATE = "states/or.yaml"
DERIVATIONS = "derivations.yaml"
BUNDLED = load_rule_set(REPO / "rules")
UNEXPECTED = (
    "unexpected file: rules/ holds only index.yaml, vocabulary.yaml, derivations.yaml, "
    "credentials/<body>/<credential>.yaml, states/<st>.yaml and locale/<language>/**.po (data only, no code)"
)


@dataclass(frozen=True)
class Check:
    """The problem one broken file must produce. ``message`` is exact unless ``prefix`` is set."""

    key: str
    line: int | None
    message: str
    file: str = CRED
    prefix: bool = False

    def matches(self, problem: RuleProblem) -> bool:
        said = problem.message.startswith(self.message) if self.prefix else problem.message == self.message
        return (problem.path, problem.key, problem.line) == (self.file, self.key, self.line) and said


def _slug_pattern(pattern: str) -> str:
    return f"String should match pattern '{pattern}'"


FROM_AFTER_TO = "`from` ({}) is after `to` ({})"
OVERLAP = (
    "dated values must be listed oldest first, each closed (`to`) before the next one opens (`from`): "
    "they may not overlap"
)

CHECKS: dict[str, Check] = {
    # --- reading (engine/_yaml.py, engine/_loader.py _parse)
    "empty_file": Check("", None, "file is empty"),
    "not_a_mapping": Check("", None, "expected a mapping at the top level"),
    "not_utf8": Check("", None, "cannot read file: 'utf-8' codec can't decode byte 0xe9", prefix=True),
    "control_character": Check("", None, "YAML error: unacceptable character #x0007", prefix=True),
    "two_documents": Check("", 18, "YAML syntax error: but found another document"),
    # --- the credential file's own fields (engine/_loader.py _credential)
    "body_id_not_folder": Check("body.id", 4, "body id `other` does not match the folder `test`"),
    "unknown_family": Check("family", 5, "`nurse` is not in the credential_family vocabulary"),
    "credential_id_not_a_slug": Check("id", 1, _slug_pattern(r"^[a-z0-9]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")),
    "credential_without_routes": Check(
        "", None, "a credential needs routes, or at least unencoded_routes saying why it has none"
    ),
    "source_url_without_scheme": Check("sources.doc.url", 9, _slug_pattern(r"^https?://\S+$")),
    "criterion_slug_not_lower_case": Check("criteria.Clock_Hours", 11, _slug_pattern(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")),
    "empty_citation_list": Check(
        "criteria.hours.cite", 15, "Value should have at least 1 item after validation, not 0"
    ),
    # --- routes, groups and the shared id namespace
    "criterion_twice_in_a_route": Check("routes.0.criteria", 24, "criterion `hours` appears twice in this route"),
    "criterion_twice_via_common": Check("routes.0.criteria", 18, "criterion `hours` appears twice in this route"),
    "unknown_group_member": Check("routes.0.criteria.0.any.1", 20, "unknown criterion `externship`"),
    "unknown_common_entry": Check("common.0", 10, "unknown criterion `age-18`"),
    "group_id_of_a_criterion": Check("routes.0.criteria.0.id", 25, "id `hours` is already used by criteria.hours"),
    "route_id_of_a_criterion": Check("routes.0.id", 17, "id `hours` is already used by criteria.hours"),
    "group_mixes_records": Check("routes.0.criteria.0.any", 25, "a group cannot mix program and degree criteria"),
    "group_of_one": Check("routes.0.criteria.0.any", 20, "List should have at least 2 items after validation, not 1"),
    # --- citations anywhere in a credential file
    "unknown_source_of_an_unencoded_route": Check(
        "unencoded_routes.0.cite.0.source", 22, "unknown source `handbook`; this file lists: doc"
    ),
    "unknown_source_of_a_not_evaluated_condition": Check(
        "routes.0.not_evaluated.0.cite.1.source", 22, "unknown source `outline`; this file lists: doc"
    ),
    "unknown_source_of_a_fact": Check("facts.0.cite.0.source", 23, "unknown source `fees`; this file lists: doc"),
    # --- dates in effect
    "unordered_criterion_effective": Check(
        "criteria.hours.effective", 16, FROM_AFTER_TO.format("2026-01-01", "2025-12-31")
    ),
    "unordered_dated_threshold": Check(
        "criteria.hours.test.at_least.0", 16, FROM_AFTER_TO.format("2025-07-01", "2025-06-30")
    ),
    "overlapping_dated_fact": Check("facts.0.value", 21, OVERLAP),
    # --- measures (engine/_schema.py, engine/_measures.py, _check_measure_vocabulary)
    "unknown_measure_kind": Check(
        "criteria.hours.measure",
        13,
        "Input tag 'duration' found using 'kind' does not match any of the expected tags: 'field', 'age', "
        "'time_since', 'time_until', 'time_between', 'sum', 'experience', 'experience_areas', 'certifications'",
    ),
    "field_path_not_a_path": Check("criteria.hours.measure", 13, _slug_pattern(r"^[a-z_]+(?:\.[a-z_]+)?$")),
    "date_field_measured_as_a_value": Check(
        "criteria.done.measure",
        13,
        "`program.completion_date` is a date: measure it with time_since, time_until or time_between",
    ),
    "time_since_a_number": Check("criteria.recent.measure", 13, "`program.clock_hours` is not a date field"),
    "time_between_two_records": Check("criteria.gap.measure", 13, "time_between needs two dates of the same record"),
    "time_between_end_a_number": Check("criteria.gap.measure", 13, "`program.clock_hours` is not a date field"),
    "sum_of_a_flag": Check("criteria.total.measure", 13, "sum adds numeric fields only"),
    "sum_of_two_records": Check("criteria.total.measure", 13, "sum needs fields of the same record"),
    "experience_since_an_applicant_date": Check(
        "criteria.work.measure", 13, "`since` must be a date of a program or degree record"
    ),
    "experience_within_and_since": Check("criteria.work.measure", 13, "give `within` or `since`, not both"),
    "min_hours_per_week_zero": Check("criteria.work.measure.min_hours_per_week", 17, "Input should be greater than 0"),
    "duration_too_long": Check("criteria.work.measure.within.years", 13, "Input should be less than or equal to 100"),
    "unknown_experience_role": Check(
        "criteria.work.measure.roles.1", 13, "`nurse` is not in the experience_role vocabulary"
    ),
    "unknown_experience_setting": Check(
        "criteria.work.measure.settings.1", 17, "`garage` is not in the experience_setting vocabulary"
    ),
    "unknown_role_of_lab_areas": Check(
        "criteria.areas.measure.roles.0", 13, "`lab-wizard` is not in the experience_role vocabulary"
    ),
    # --- tests against their measures (engine/_schema.py Test, engine/_loader.py _normalize_test, _time_unit)
    "test_without_an_operator": Check(
        "criteria.hours.test",
        14,
        "a test needs an operator: at_least, more_than, at_most, less_than, one_of, is, includes_any or includes_all",
    ),
    "test_mixing_operator_kinds": Check("criteria.hours.test", 14, "cannot combine at_least, one_of in one test"),
    "boolean_threshold": Check(
        "criteria.hours.test.at_least", 14, "a threshold cannot be true/false; use `is` for yes/no facts"
    ),
    "duration_in_two_units": Check("criteria.recent.test.at_most", 14, "give exactly one of years, months, days"),
    "duration_threshold_of_a_number": Check("criteria.hours.test.at_least", 14, "`2 years` is not a number"),
    "time_threshold_not_a_duration": Check(
        "criteria.recent.test", 14, "`at_most` of a time measure must be a duration such as {years: 4} or {days: 30}"
    ),
    "time_measure_with_a_set_test": Check(
        "criteria.recent.test",
        14,
        "a time measure is tested with at_least / more_than / at_most / less_than and durations",
    ),
    "rank_threshold_not_a_level": Check(
        "criteria.degree.test.at_least",
        14,
        "`phd` is not a level of this field; use one of: " + ", ".join(BUNDLED.vocabularies["degree_level"].values),
    ),
    "unknown_list_value": Check(
        "criteria.approved.test.includes_any", 14, "`moon-approved` is not a known program_approval value"
    ),
    "unknown_credential_held": Check(
        "criteria.holds.test.includes_any", 14, "`xyz.abc` is not a known credential value"
    ),
    # --- state files (engine/_loader.py _state)
    "state_code_not_the_file_name": Check("code", 1, "code `TX` does not match the file name `or.yaml`", STATE),
    "state_code_not_two_capitals": Check("code", 1, _slug_pattern("^[A-Z]{2}$"), STATE),
    "state_not_in_the_vocabulary": Check("code", 1, "`ZZ` is not in the us_state vocabulary", "states/zz.yaml"),
    "state_duplicate_note_id": Check("notes.1.id", 14, "duplicate note id `rule`", STATE),
    "state_unknown_note_kind": Check(
        "notes.0.kind",
        9,
        "Input should be 'license', 'certification', 'registration', 'permit', 'exempt', 'no-state-requirement' "
        "or 'informational'",
        STATE,
    ),
    "state_unknown_accepts": Check("notes.0.accepts.1", 12, "`xyz.abc` is not a known credential id", STATE),
    "state_unknown_family": Check(
        "notes.0.families.1", 10, "`phlebotomists` is not in the credential_family vocabulary", STATE
    ),
    "state_unknown_source": Check("notes.0.cite.0.source", 10, "unknown source `law`; this file lists: (none)", STATE),
    "state_source_never_cited": Check("sources.guide", 6, "source is never cited", STATE),
    "state_note_unordered_effective": Check(
        "notes.0.effective", 14, FROM_AFTER_TO.format("2026-01-01", "2025-01-01"), STATE
    ),
    # --- cautions, unencoded routes, incomplete knowledge (rules/README.md; issue 11)
    "unknown_caution": Check("cautions.0", 10, "unknown criterion `adult`"),
    "unknown_route_caution": Check("routes.0.cautions.0", 20, "unknown criterion `adult`"),
    "caution_also_deciding": Check("criteria.adult", 17, "criterion is both a caution and a deciding entry of a route"),
    "secondary_requirement_deciding": Check(
        "criteria.adult",
        17,
        "only secondary sources state this requirement, on a route whose own source is official (routes.0): "
        "list it under `cautions` so that it never decides alone",
    ),
    "unencoded_route_without_id": Check("unencoded_routes.0.id", 19, "required key is missing"),
    "unencoded_route_id_of_a_route": Check("unencoded_routes.0.id", 19, "id `only` is already used by routes.0"),
    "unknown_gate_criterion": Check("unencoded_routes.0.gate.0", 24, "unknown criterion `instructor-1-year`"),
    "gate_repeats_a_common_entry": Check(
        "unencoded_routes.0.gate", 30, "criterion `hours` appears twice in this route"
    ),
    "unknown_for_without_one_of": Check("criteria.hours.test", 14, "`unknown_for` goes with `one_of`"),
    "unknown_for_also_in_one_of": Check(
        "criteria.accredited.test", 14, "`ABHES` is both in `one_of` and in `unknown_for`"
    ),
    "unknown_for_not_in_the_vocabulary": Check(
        "criteria.accredited.test.unknown_for",
        14,
        "`CAAHEPP` is not in the `accreditor` vocabulary; allowed: "
        + ", ".join(sorted(BUNDLED.vocabularies["accreditor"].values)),
    ),
    "only_lab_duties_of_years": Check(
        "criteria.work.measure", 13, "`only_lab_duties` counts hours: use it with `total: hours`"
    ),
    "provisional_not_a_boolean": Check("verification.provisional", 7, "Input should be a valid boolean"),
    # --- derived facts (rules/derivations.yaml)
    "derivation_duplicate_id": Check(
        "derivations.1.id", 10, "duplicate derivation id `accreditor-implies-institution`", DERIVATIONS
    ),
    "derivation_of_a_number": Check(
        "derivations.0.when.path", 6, "`program.clock_hours` is not an enumerated applicant field", DERIVATIONS
    ),
    "derivation_value_not_in_the_vocabulary": Check(
        "derivations.0.then.one_of.1", 7, "`usdee` is not in the `institution_accreditation` vocabulary", DERIVATIONS
    ),
    "derivation_across_records": Check(
        "derivations.0", 4, "`when` and `then` must be fields of the same record", DERIVATIONS
    ),
    "derivation_of_itself": Check("derivations.0.then.path", 7, "a field cannot be derived from itself", DERIVATIONS),
    "derivation_unknown_source": Check(
        "derivations.0.cite.0.source", 8, "unknown source `handbook`; this file lists: standards", DERIVATIONS
    ),
    "derivation_source_never_cited": Check("sources.guide", 3, "source is never cited", DERIVATIONS),
    "derivation_with_too_many_values": Check(
        "derivations.0.then.one_of", 7, "List should have at most 8 items after validation, not 9", DERIVATIONS
    ),
    # --- the index
    "index_version_not_semantic": Check("version", 2, _slug_pattern(r"^\d+\.\d+\.\d+$"), "index.yaml"),
}


# Broken files used by the tests below the table.
OTHER_FILES = {"threshold_in_exponent_notation"}


def problems_of(root: Path) -> list[RuleProblem]:
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(root)
    return caught.value.problems


def _listing(problems: list[RuleProblem]) -> str:
    return "\n".join(f"  {p.path!r} {p.key!r} line {p.line}: {p.message}" for p in problems)


def _rule_set_with(tmp_path: Path, name: str, place: str) -> Path:
    root = make_rule_set(tmp_path, {})
    target = root / place
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((BAD / f"{name}.yaml").read_bytes())
    if not place.startswith("credentials/"):  # a rule set needs a credential file
        shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    return root


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_names_file_key_line_and_problem(tmp_path: Path, name: str) -> None:
    expected = CHECKS[name]
    problems = problems_of(_rule_set_with(tmp_path, name, expected.file))
    assert any(expected.matches(p) for p in problems), f"expected {expected}\ngot:\n{_listing(problems)}"


def test_every_broken_file_has_a_case() -> None:
    from tests.engine.test_loader import CASES

    covered = {c[0] for c in CASES} | {"unused_source_and_criterion"} | set(CHECKS) | OTHER_FILES
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(covered)


# ------------------------------------------------------------------------------------ the whole rule set


def test_the_directory_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [RuleProblem(str(missing), "", "rule set directory does not exist")]


def test_a_rule_set_without_credentials_is_refused(tmp_path: Path) -> None:
    assert problems_of(make_rule_set(tmp_path, {})) == [RuleProblem("credentials/", "", "no credential files found")]


def test_a_missing_index_is_reported(tmp_path: Path) -> None:
    root = make_rule_set(tmp_path, {})
    (root / "index.yaml").unlink()
    [problem] = problems_of(root)
    assert (problem.path, problem.key, problem.line) == ("index.yaml", "", None)
    assert problem.message.startswith("cannot read file: [Errno 2] No such file or directory"), problem


def test_files_outside_the_layout_are_refused_and_hidden_files_ignored(tmp_path: Path) -> None:
    strays = ["credentials/test.yaml", "credentials/test/deep/x.yaml", "states/or.yml", "notes.txt"]
    root = make_rule_set(tmp_path, {**dict.fromkeys(strays, "x: 1\n"), "credentials/test/.draft.yaml": "x: 1\n"})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    problems = problems_of(root)
    assert sorted(problems, key=lambda p: p.path) == sorted(
        (RuleProblem(s, "", UNEXPECTED) for s in strays), key=lambda p: p.path
    ), _listing(problems)


def test_two_files_with_one_credential_id(tmp_path: Path) -> None:
    text = (BAD / "id_mismatch.yaml").read_text().replace("id: test.other", "id: test.bad")
    root = make_rule_set(tmp_path, {CRED: text, "credentials/test/other.yaml": text})
    problems = problems_of(root)
    assert (
        RuleProblem(
            "credentials/test/other.yaml", "id", "duplicate credential id (also in credentials/test/bad.yaml)", 1
        )
        in problems
    ), _listing(problems)
    assert not [p for p in problems if p.path == CRED], "the first file is fine"


def test_an_unreadable_translation_catalogue_is_a_problem_of_its_file(tmp_path: Path) -> None:
    """``locale/<language>/**.po`` translate the rule files; one that cannot be read is reported, not raised."""
    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    catalogue = root / "locale" / "es" / "credentials" / "aama" / "cma.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.symlink_to(root / "nowhere.po")  # listed, but reading it fails
    [problem] = problems_of(root)
    assert (problem.path, problem.key, problem.line) == ("locale/es/credentials/aama/cma.po", "", None)
    assert problem.message == "cannot read the catalogue: No such file or directory", problem


def test_an_unparsable_translation_catalogue_is_a_problem_of_its_file(tmp_path: Path) -> None:
    """A catalogue that can be read but not parsed (Babel raises) is reported with Babel's reason."""
    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    catalogue = root / "locale" / "es" / "credentials" / "aama" / "cma.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_bytes(b"\xff\xfe not a catalogue\n")
    assert problems_of(root) == [
        RuleProblem(
            "locale/es/credentials/aama/cma.po",
            "",
            "cannot read the catalogue: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
        )
    ]


def _vocabulary_problems(tmp_path: Path, edit: tuple[str, str]) -> list[RuleProblem]:
    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    path = root / "vocabulary.yaml"
    text, n = re.subn(edit[0], edit[1], path.read_text(), count=1, flags=re.M)
    assert n == 1, edit
    path.write_text(text)
    return problems_of(root)


def _line_of(pattern: str) -> int:
    text = (REPO / "rules" / "vocabulary.yaml").read_text()
    match = re.search(pattern, text, re.M)
    assert match, pattern
    return text[: match.start()].count("\n") + 1


def test_a_vocabulary_nobody_uses_is_refused(tmp_path: Path) -> None:
    problems = _vocabulary_problems(tmp_path, (r"\Z", "  colors:\n    description: Colors.\n    values: {red: Red}\n"))
    assert problems == [
        RuleProblem(
            "vocabulary.yaml",
            "vocabularies",
            "unknown vocabularies (not used by the applicant model): colors",
            _line_of(r"^vocabularies:"),
        )
    ]


def test_vocabulary_values_are_ids(tmp_path: Path) -> None:
    problems = _vocabulary_problems(tmp_path, (r"^      phlebotomy-technician:", "      phlebotomy technician:"))
    line = _line_of(r"^      phlebotomy-technician:")
    assert problems == [
        RuleProblem(
            "vocabulary.yaml",
            "vocabularies.experience_role.values.phlebotomy technician",
            _slug_pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
            line,
        )
    ]


def test_a_vocabulary_has_values(tmp_path: Path) -> None:
    problems = _vocabulary_problems(
        tmp_path, (r"^(  lab_area:\n    description: .*\n    values:)\n(      .*\n)+", r"\1 {}\n")
    )
    assert problems == [
        RuleProblem(
            "vocabulary.yaml",
            "vocabularies.lab_area.values",
            "Dictionary should have at least 1 item after validation, not 0",
            _line_of(r"^  lab_area:") + 2,
        )
    ]


def test_a_credential_with_a_rule_file_is_not_also_an_other_credential(tmp_path: Path) -> None:
    """The problem is vocabulary.yaml's (that is where the entry must go), at the value's key path."""
    entry = (r"(  other_credential:\n(?:    .*\n)*?    values:\n)", r"\1      aama.cma: Certified Medical Assistant\n")
    problems = _vocabulary_problems(tmp_path, entry)
    assert problems == [
        RuleProblem(
            "vocabulary.yaml",
            "vocabularies.other_credential.values.aama.cma",
            "this credential now has a rule file; remove it from other_credential",
        )
    ]


def test_the_required_vocabularies_are_those_the_bundled_file_declares() -> None:
    assert set(BUNDLED.vocabularies) == set(REQUIRED_VOCABULARIES)


# ------------------------------------------------------------------------------------ durable-rules limits


def _many_tests(n: int) -> dict[str, str]:
    crits = "".join(
        f"  c{i}: {{label: C{i}, measure: program.clock_hours, test: {{at_least: {i}}}, cite: {{source: doc}}}}\n"
        for i in range(n)
    )
    route = ", ".join(f"c{i}" for i in range(n))
    return credential(f"criteria:\n{crits}routes:\n  - {{id: only, label: Only route, criteria: [{route}]}}\n")


def test_one_ruleset_holds_at_most_max_rules_distinct_tests(tmp_path: Path) -> None:
    (tmp_path / "fits").mkdir()
    (tmp_path / "over").mkdir()
    book = load_rulebook(make_rule_set(tmp_path / "fits", _many_tests(MAX_RULES)))
    assert book.program.rule_count == MAX_RULES
    with pytest.raises(RuleSetError) as caught:
        load_rulebook(make_rule_set(tmp_path / "over", _many_tests(MAX_RULES + 1)))
    [problem] = caught.value.problems
    assert problem.message.startswith(f"{MAX_RULES + 1} distinct tests; one durable-rules ruleset fails beyond")
    assert "credentials/test/cred.yaml (3001)" in problem.message  # where the tests are



def test_a_threshold_in_exponent_notation_is_refused(tmp_path: Path) -> None:
    root = _rule_set_with(tmp_path, "threshold_in_exponent_notation", CRED)
    load_rule_set(root)  # valid as a file...
    with pytest.raises(RuleSetError) as caught:  # ...but durable-rules cannot read 1e-05
        load_rulebook(root)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("credentials/test/bad.yaml", "a threshold needs exponent notation; durable-rules rejects it")
    ]


@pytest.mark.parametrize("case", ["exponent", "too-many-tests"])
def test_rules_validate_refuses_what_the_service_refuses_at_start(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`credcheck rules validate` promises "the checks the service runs at start-up"."""
    if case == "exponent":
        root = _rule_set_with(tmp_path, "threshold_in_exponent_notation", CRED)
    else:
        root = make_rule_set(tmp_path, _many_tests(MAX_RULES + 1))
    with pytest.raises(RuleSetError):
        load_rulebook(root)  # the service refuses to start
    assert cli(["rules", "validate", "--rules-dir", str(root)]) == 1, capsys.readouterr().out


def test_draft_and_empty_translations_are_left_out_so_the_english_shows(tmp_path: Path) -> None:
    """A fuzzy (draft) entry and an empty one are not translations: only reviewed text is loaded."""
    import io

    from babel.messages.pofile import read_po, write_po

    root = make_rule_set(tmp_path, {})
    shutil.copytree(REPO / "rules" / "credentials" / "aama", root / "credentials" / "aama")
    source = REPO / "rules" / "locale" / "es" / "credentials" / "aama" / "cma.po"
    catalog = read_po(io.BytesIO(source.read_bytes()), locale="es_US")
    label = catalog.get("The program is a medical assisting program", context="criteria.ma-program.label")
    summary = next(m for m in catalog if m.context == "summary")
    label.flags.add("fuzzy")
    summary.string = ""
    out = io.BytesIO()
    write_po(out, catalog)
    target = root / "locale" / "es" / "credentials" / "aama" / "cma.po"
    target.parent.mkdir(parents=True)
    target.write_bytes(out.getvalue())
    table = load_rule_set(root).translations["es"]
    file = "credentials/aama/cma.yaml"
    assert (file, "criteria.ma-program.label", label.id) not in table
    assert (file, "summary", summary.id) not in table
    reviewed = [m for m in catalog if m.id and m.string and not m.fuzzy]
    assert reviewed and all(table[(file, m.context or "", m.id)] == m.string for m in reviewed)
    assert len([k for k in table if k[0] == file]) == len(reviewed)
