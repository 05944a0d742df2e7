"""Lint of the rule data and of its fixtures: each test gathers every violation before failing.

* every criterion cites a listed source (also enforced by the loader) and carries a verification level;
* ids are unique across the rule set and follow the file paths;
* dated values and effective ranges are ordered and do not overlap (loader), and tests have versions;
* every credential has a fixture file with an eligible, an ineligible and an undetermined case; every
  route is met somewhere; every criterion is unmet somewhere in every route it belongs to; every
  time-window criterion has boundary cases on both sides; some case states the credential's guidance;
* every US state, DC and Puerto Rico has a state file.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from engine import Rulebook
from tests.conftest import bundled_rulebook
from tests.fixtures import FIXTURE_ROOT, load_cases

REPO = Path(__file__).resolve().parents[2]
STATES_REQUIRED = 52  # 50 states, DC and Puerto Rico


def report(problems: list[str], what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n" + "\n".join(f"  - {p}" for p in problems)


def test_ids_are_unique_and_follow_paths(rulebook: Rulebook) -> None:
    problems = []
    seen: dict[str, str] = {}
    for cred in rulebook.rules.credentials.values():
        body, name = cred.id.split(".")
        if cred.path != f"credentials/{body}/{name}.yaml":
            problems.append(f"{cred.id} lives in {cred.path}")
        ids = [cred.id] + [r.id for r in cred.routes] + [c.id for c in cred.criteria.values()]
        ids += [e.id for r in cred.routes for e in r.entries if not hasattr(e, "measure")]
        for i in dict.fromkeys(ids):
            if i in seen and seen[i] != cred.path:
                problems.append(f"{i} is defined in {cred.path} and {seen[i]}")
            seen[i] = cred.path
    for state in rulebook.rules.states.values():
        for note in state.notes:
            if note.id in seen:
                problems.append(f"{note.id} is duplicated")
            seen[note.id] = state.path
    report(problems, "id problems")


def test_every_rule_is_cited_and_verified(rulebook: Rulebook) -> None:
    problems = []
    for cred in rulebook.rules.credentials.values():
        for crit in cred.criteria.values():
            if not crit.citations:
                problems.append(f"{crit.id} has no citation")
            if not crit.versions:
                problems.append(f"{crit.id} has no test in effect at any date")
            low = crit.verification.confidence == "low" or crit.verification.source == "secondary"
            if low and not (crit.verification.note or crit.note or cred.verification.note or cred.uncertain):
                problems.append(f"{crit.id} is provisional but nothing says what is uncertain")
        for fact, cites in cred.facts:
            if not cites:
                problems.append(f"{cred.id}: fact {fact.label!r} has no citation")
        if not cred.routes:
            problems.append(f"{cred.id} has no route")
    for state in rulebook.rules.states.values():
        for note in state.notes:
            if not note.citations:
                problems.append(f"{note.id} has no citation")
    report(problems, "citation problems")


def test_every_state_dc_and_puerto_rico_has_a_file(rulebook: Rulebook) -> None:
    states = rulebook.rules.vocabularies["us_state"].values
    required = [code for code in states if code not in {"GU", "VI", "AS", "MP"}]
    assert len(required) == STATES_REQUIRED
    missing = [code for code in required if code not in rulebook.rules.states]
    report(missing, "states without a file in rules/states/")


def test_state_files_say_what_they_cover(rulebook: Rulebook) -> None:
    """A state with no licensing rule says so with a cited note; gaps are listed, never silent."""
    families = set(rulebook.rules.vocabularies["credential_family"].values)
    problems = []
    for state in rulebook.rules.states.values():
        covered = {f for n in state.notes for f in n.families}
        silent = families - covered
        if silent and not state.unconfirmed:
            problems.append(f"{state.code}: nothing said about {sorted(silent)} and no `unconfirmed` entry")
    report(problems, "state coverage problems")


# ------------------------------------------------------------------------------------ fixture coverage


def _is_window(criterion: Any) -> bool:
    """A criterion measured over a time window: a time since, until or between dates, or experience counted
    within a period before the evaluation date (the window the measure gives for its requirement)."""
    measure = criterion.measure
    if measure.time is not None:
        return True
    in_period = measure.window(criterion.versions[0].requirement, dt.date(2026, 1, 1)) is not None
    return measure.source in ("experience", "experience_areas") and in_period


@pytest.mark.parametrize("credential_id", bundled_rulebook().credential_ids)
def test_fixtures_cover_every_route_and_criterion(rulebook: Rulebook, credential_id: str) -> None:
    cred = rulebook.rules.credentials[credential_id]
    body, name = credential_id.split(".")
    path = FIXTURE_ROOT / "credentials" / body / f"{name}.yaml"
    assert path.exists(), f"{credential_id} has no fixture file {path.relative_to(REPO)}"
    prefix = credential_id + "."
    statuses: set[str] = set()
    route_met: set[str] = set()
    criterion_unmet: set[tuple[str, str]] = set()
    boundary: dict[str, set[str]] = defaultdict(set)
    cases = load_cases(path)
    for case in cases:
        result = rulebook.evaluate(case.applicant, as_of=case.as_of, credentials=[credential_id], state=case.state)
        c = result.credentials[0]
        statuses.add(c.status.value)
        for route in c.routes:
            rkey = route.id.removeprefix(prefix)
            if route.status == "met":
                route_met.add(rkey)
            for crit in route.criteria:
                if crit.status == "unmet":
                    criterion_unmet.add((rkey, crit.definition.key))
                if crit.definition.key in case.boundary:
                    boundary[crit.definition.key].add(crit.status.value)
    # A credential with no encoded route can only be undetermined; one with a route not encoded at all (no
    # gate) is never ineligible.
    encoded = any(r.complete for r in cred.routes)
    open_route = any(r.coverage == "none" for r in cred.routes)
    expected = ("eligible", "undetermined") if encoded else ("undetermined",)
    expected += () if open_route or not encoded else ("ineligible",)
    problems = [f"no {s} case" for s in expected if s not in statuses]
    if not any("guidance" in case.expect for case in cases):
        problems.append("no case states the guidance (expect: guidance:, see tests/fixtures.py)")
    for route in cred.routes:
        if route.complete and route.key not in route_met:
            problems.append(f"route {route.key} is never met")
        for crit in route.criteria():
            if (route.key, crit.key) not in criterion_unmet:
                problems.append(f"criterion {crit.key} is never unmet in route {route.key}")
    for key in sorted(k for k, c in cred.criteria.items() if _is_window(c)):
        if not {"met", "unmet"} <= boundary.get(key, set()):
            problems.append(f"time-window criterion {key} lacks boundary cases on both sides (boundary: {key})")
    report(problems, f"coverage gaps in {path.relative_to(REPO)}")


def _fails_everything(as_of: object) -> dict[str, object]:
    """An applicant who meets nothing any rule asks for (every list given and empty, no diploma)."""
    return {
        "birth_date": "2025-01-01",
        "high_school": {"credential": "none"},
        "degrees": [],
        "semester_hours": {"total": 0, "chemistry": 0, "biology": 0, "microbiology": 0,
                           "organic_or_biochemistry": 0, "physics": 0, "math": 0},
        "programs": [],
        "work_experience": [],
        "certifications": [],
    }


def test_no_credential_is_ineligible_while_a_route_without_gate_is_open(rulebook: Rulebook) -> None:
    """Where the rule set cannot say who a route is for, it cannot say no: undetermined, reason given."""
    as_of = dt.date(2026, 12, 1)
    problems = []
    for cred in rulebook.rules.credentials.values():
        answer = rulebook.evaluate(_fails_everything(as_of), as_of=as_of, credentials=[cred.id]).credentials[0]
        if any(r.coverage == "none" for r in cred.routes):
            if answer.status != "undetermined" or "unencoded-route" not in answer.reasons:
                problems.append(f"{cred.id}: {answer.status} {answer.reasons}")
        elif answer.status == "eligible":
            problems.append(f"{cred.id}: an applicant with nothing is eligible")
    report(problems, "credentials that answer wrongly for an applicant with nothing")


def test_every_fixture_file_belongs_to_a_credential(rulebook: Rulebook) -> None:
    orphans = []
    for path in sorted((FIXTURE_ROOT / "credentials").glob("*/*.yaml")):
        cred = f"{path.parent.name}.{path.stem}"
        if cred not in rulebook.rules.credentials:
            orphans.append(str(path.relative_to(REPO)))
    report(orphans, "fixture files without a rule file")


def test_rules_readme_shows_the_current_rules_report(rulebook: Rulebook) -> None:
    from api.cli import report_table

    text = (REPO / "rules" / "README.md").read_text(encoding="utf-8")
    shown = text.split("<!-- rules report -->\n", 1)[1].split("<!-- end of rules report -->", 1)[0]
    assert shown == report_table(rulebook.rules), "rules/README.md: paste the output of `credcheck rules report`"


def test_every_rule_text_has_a_reviewed_spanish_translation(rulebook: Rulebook) -> None:
    """The lint of the Spanish catalogues: no rule text is shown in English on a Spanish answer."""
    from api.rules_text import missing

    report([f"{t.file} {t.context}: {t.english!r}" for t in missing(rulebook.rules, "es")], "texts untranslated")


def test_the_catalogues_are_what_the_rule_files_say(tmp_path: Path) -> None:
    """`python -m api.rules_text update` has been run: a copy of the rules would not change."""
    import shutil

    from api.rules_text import update
    from engine import load_rule_set

    copy = tmp_path / "rules"
    shutil.copytree(REPO / "rules", copy)
    written = update(load_rule_set(copy), "es")
    report([str(p.relative_to(copy)) for p in written], "catalogues out of date (run make rule-texts)")
