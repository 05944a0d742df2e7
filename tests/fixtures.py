"""YAML rule fixtures: ``tests/rules/credentials/<body>/<credential>.yaml`` mirror the rule files.

A fixture file::

    credential: aama.cma
    cases:
      - name: A CAAHEP graduate three months out qualifies under Category 1
        as_of: 2026-11-23
        applicant: {...}                       # exactly what the API accepts
        boundary: graduated-within-12-months   # optional: the criterion (or list) whose window this probes
        expect:
          status: eligible                     # eligible | ineligible | undetermined
          inputs_needed: [birth_date]          # optional; exact list when given
          routes:                              # every route of the credential, each with every criterion
            category-1:
              status: met
              criteria: {others: met}          # `others` covers the criteria not named
            category-2:
              status: unmet
              criteria: {graduated-over-12-months: unmet, others: met}
              cautions: {age-18: met}            # optional: cautions shown with the route (never deciding)
              records: {programs: 1}             # optional: the record the route's criteria were decided on
              groups: {practicum-or-work: met}   # optional: group statuses

Route and criterion keys are the ids without the credential prefix. Every encoded route in effect must be
listed (unencoded routes, ``coverage`` gate or none, are checked when listed), and every criterion of a listed
route must be covered (by name or by ``others``), so each case states the outcome per credential, per route
and per criterion.

``as_of`` is each case's evaluation date (cases of one file may use different dates: month ends, 29 February).

``records`` names, per list of records (``programs``, ``degrees``), the index of the record every criterion of
the route about that list was decided on (``null``: none, the list being absent or empty); a list the route's
criteria report a record of must be named. It says which record the route reads when several are given
(``rules/README.md``, "How routes and records combine": the highest status, then the most criteria met, then
the first listed). Group statuses need not be stated: each group's status is checked against the statuses the
case states for its members (a group is met when one member is: its strongest member's status); ``groups``
states them outright where that helps a reader.

``guidance`` (optional, under ``expect``) states the credential's guidance, every key optional, with the field
names and values the API's JSON uses (ids without the credential prefix)::

    guidance:
      eligible_from: 2027-01-12           # the first day eligible, or null; also eligible_until, after_until
      nearest_route: category-1           # or null
      timeline: [{on: 2027-01-12, status: eligible, routes: [category-1]}]    # every change, in order
      routes:                             # routes not met, those named: feasibility, effort, shortfalls
        category-3: {feasibility: precluded, shortfalls: [{criterion: passed-cma-before, cause: own-credential}]}
      next_steps: [{action: wait, route: category-1, on: 2027-01-12}]         # every step, in order

``on`` may be written bare (YAML reads it as ``true``; the loader gives it back its name). Mappings are
subsets (only the fields stated are compared); lists are compared item by item and must have the
length stated, except ``shortfalls``, which lists only the criteria it names (each by ``criterion``). A stated
``eligible_from`` date is also checked against verdicts: with the applicant projected to that day (``project``),
the credential is eligible on it and not the day before.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from api.render import renderer
from api.serialize import change_json, shortfall_json, step_json
from api.spec import jsonable
from engine import CredentialGuidance, CredentialOutcome, Rulebook

FIXTURE_ROOT = Path(__file__).parent / "rules"


@dataclass
class Case:
    file: Path
    credential: str
    name: str
    as_of: dt.date
    applicant: dict[str, Any]
    expect: dict[str, Any]
    boundary: list[str]
    state: str | None


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    allowed_top = {"credential", "cases"}
    if set(data) - allowed_top:
        raise ValueError(f"{path}: unknown keys {sorted(set(data) - allowed_top)}")
    cases = []
    for raw in data["cases"]:
        unknown = set(raw) - {"name", "as_of", "applicant", "expect", "boundary", "state"}
        if unknown:
            raise ValueError(f"{path}: case {raw.get('name')!r}: unknown keys {sorted(unknown)}")
        cases.append(
            Case(
                file=path,
                credential=data["credential"],
                name=raw["name"],
                as_of=raw["as_of"],
                applicant=jsonable(raw.get("applicant") or {}),
                expect={**raw["expect"], "guidance": _on(raw["expect"]["guidance"])}
                if "guidance" in raw["expect"]
                else raw["expect"],
                boundary=[raw["boundary"]] if isinstance(raw.get("boundary"), str) else list(raw.get("boundary") or []),
                state=raw.get("state"),
            )
        )
    return cases


def _on(value: Any) -> Any:
    """YAML 1.1 reads a bare ``on:`` key as ``True``: the guidance fields' ``on``, as written."""
    if isinstance(value, dict):
        return {("on" if k is True else k): _on(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_on(v) for v in value]
    return value


def all_fixture_files() -> list[Path]:
    return sorted((FIXTURE_ROOT / "credentials").glob("*/*.yaml"))


ROUTE_KEYS = {"status", "criteria", "cautions", "records", "groups"}
_RANK = {"unmet": 0, "unknown": 1, "met": 2}


def compare(case: Case, result: CredentialOutcome) -> list[str]:
    """Differences between a case's expectations and an evaluated credential (the engine's typed outcome, or
    anything with the same attributes: the oracle's answers are compared too)."""
    problems: list[str] = []
    prefix = case.credential + "."
    expect = case.expect
    if result.status != expect["status"]:
        problems.append(f"credential status: expected {expect['status']}, got {result.status}")
    if "inputs_needed" in expect and sorted(result.inputs_needed) != sorted(expect["inputs_needed"]):
        problems.append(
            f"inputs_needed: expected {sorted(expect['inputs_needed'])}, got {sorted(result.inputs_needed)}"
        )
    routes = {r.id.removeprefix(prefix): r for r in result.routes}
    expected_routes = expect.get("routes") or {}
    # Encoded routes must all be stated; unencoded ones (coverage gate / none) are checked when stated.
    missing_routes = sorted(k for k, r in routes.items() if k not in expected_routes and r.coverage == "full")
    if missing_routes:
        problems.append(f"the case does not state the outcome of routes {missing_routes}")
    for key, exp in expected_routes.items():
        route = routes.get(key)
        if route is None:
            problems.append(f"route {key}: expected in the result (in effect on {case.as_of}), not found")
            continue
        if not isinstance(exp, dict) or "criteria" not in exp:
            problems.append(f"route {key}: state its status and criteria")
            continue
        if set(exp) - ROUTE_KEYS:
            problems.append(f"route {key}: unknown keys {sorted(set(exp) - ROUTE_KEYS)}")
        if route.status != exp["status"]:
            problems.append(f"route {key}: expected {exp['status']}, got {route.status}")
        cautions = {c.id.removeprefix(prefix): c for c in route.cautions}
        for crit, want in (exp.get("cautions") or {}).items():
            if crit not in cautions:
                problems.append(f"route {key}: {crit} is not a caution of the route")
            elif cautions[crit].status != want:
                problems.append(f"route {key}: caution {crit}: expected {want}, got {cautions[crit].status}")
        actual = {c.id.removeprefix(prefix): c for c in route.criteria}
        wanted = dict(exp["criteria"])
        others = wanted.pop("others", None)
        for crit in wanted:
            if crit not in actual:
                problems.append(f"route {key}: criterion {crit} is not part of the route")
        for crit, c in actual.items():
            want = wanted.get(crit, others)
            if want is None:
                problems.append(f"route {key}: the case does not state criterion {crit} (got {c.status})")
            elif c.status != want:
                problems.append(f"route {key}: criterion {crit}: expected {want}, got {c.status}")
        problems += _groups(key, route, exp, {crit: wanted.get(crit, others) for crit in actual}, prefix)
        if "records" in exp:
            problems += _records(key, route, exp["records"])
    return problems


def _groups(key: str, route: Any, exp: dict[str, Any], wanted: dict[str, str | None], prefix: str) -> list[str]:
    """Each group's status: as stated under ``groups``, and its strongest member's as the case states them."""
    problems = []
    groups = {g.id.removeprefix(prefix): g for g in route.groups}
    for gid, want in (exp.get("groups") or {}).items():
        if gid not in groups:
            problems.append(f"route {key}: {gid} is not a group of the route")
        elif groups[gid].status != want:
            problems.append(f"route {key}: group {gid}: expected {want}, got {groups[gid].status}")
    for gid, group in groups.items():
        members = [wanted.get(c.id.removeprefix(prefix)) for c in route.criteria if c.group == group.id]
        if not members or None in members:
            continue  # a member not stated is reported above
        strongest = max(members, key=_RANK.__getitem__)
        if group.status != strongest:
            problems.append(
                f"route {key}: group {gid}: its strongest member (as stated) is {strongest}, got {group.status}"
            )
    return problems


def _records(key: str, route: Any, expected: dict[str, int | None]) -> list[str]:
    """The record each criterion of the route was decided on, per list of records."""
    problems = []
    reported: dict[str, set[int]] = {}
    for c in route.criteria:
        if c.record is not None:
            name, _, index = c.record.partition("[")
            reported.setdefault(name, set()).add(int(index.removesuffix("]")))
    for name, index in expected.items():
        got = reported.pop(name, set())
        if index is None and got:
            problems.append(f"route {key}: expected no record of {name}, got {name}{sorted(got)}")
        elif index is not None and got != {index}:
            problems.append(f"route {key}: expected every criterion about {name} decided on {name}[{index}], "
                            f"got {sorted(got) or 'none'}")
    for name, got in reported.items():
        problems.append(f"route {key}: the case does not state the record of {name} (got {sorted(got)})")
    return problems


# ---------------------------------------------------------------------------------------------- guidance

GUIDANCE_KEYS = {"eligible_from", "eligible_until", "after_until", "nearest_route", "timeline", "routes", "next_steps"}
GUIDANCE_ROUTE_KEYS = {"feasibility", "effort", "shortfalls"}


def iso_day(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def subset_problems(expected: Any, got: Any, where: str) -> list[str]:
    """Where ``got`` differs from ``expected`` (dicts: only the keys given; lists: item by item, same length;
    dates as ISO strings)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected a mapping, got {got!r}"]
        out = []
        for key, value in expected.items():
            if key not in got:
                out.append(f"{where}.{key}: missing (have {sorted(got)})")
            else:
                out += subset_problems(value, got[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: expected {expected!r}, got {got!r}"]
        pairs = enumerate(zip(expected, got, strict=True))
        return [p for i, (e, g) in pairs for p in subset_problems(e, g, f"{where}[{i}]")]
    return [] if iso_day(expected) == got else [f"{where}: expected {expected!r}, got {got!r}"]


def guidance_data(g: CredentialGuidance, book: Rulebook) -> dict[str, Any]:
    """A credential's guidance as the API's JSON spells it (``api.serialize``), without the sentences and with
    ids short of the credential prefix, as fixtures write them; routes keyed by id, shortfalls by criterion."""
    r = renderer(book, "en")

    def short(value: str | None) -> str | None:
        return value.removeprefix(g.id + ".") if value is not None else None

    def shortfall(s: Any) -> dict[str, Any]:
        out = shortfall_json(s, r)
        del out["text"]
        out["criterion"] = short(out["criterion"])
        if "group" in out:
            out["group"] = short(out["group"])
        return out

    steps = []
    for s in g.next_steps:
        step = step_json(s, g.id, r)
        del step["text"]
        step["route"] = short(step["route"])
        step["criteria"] = [short(c) for c in step["criteria"]]
        steps.append(step)
    return {
        "eligible_from": iso_day(g.eligible_from),
        "eligible_until": iso_day(g.eligible_until),
        "after_until": short(g.after_until),
        "nearest_route": short(g.nearest_route),
        "timeline": [{**change_json(c), "routes": [short(x) for x in c.routes]} for c in g.timeline],
        "next_steps": steps,
        "routes": {
            short(route.id): {
                "feasibility": route.feasibility.value,
                "effort": route.effort.value if route.effort else None,
                "shortfalls": {short(s.criterion): shortfall(s) for s in route.shortfalls},
            }
            for route in g.routes
        },
    }


def compare_guidance(case: Case, g: CredentialGuidance, book: Rulebook) -> list[str]:
    """Differences between a case's ``guidance`` block and the engine's guidance for the credential."""
    expected = dict(case.expect["guidance"] or {})
    if set(expected) - GUIDANCE_KEYS:
        return [f"guidance: unknown keys {sorted(set(expected) - GUIDANCE_KEYS)}"]
    got = guidance_data(g, book)
    routes = expected.pop("routes", None) or {}
    problems = subset_problems(expected, got, "guidance")
    for key, exp in routes.items():
        where = f"guidance.routes.{key}"
        if key not in got["routes"]:
            problems.append(f"{where}: no guidance for the route (met, not encoded, or not a route)")
            continue
        if set(exp) - GUIDANCE_ROUTE_KEYS:
            problems.append(f"{where}: unknown keys {sorted(set(exp) - GUIDANCE_ROUTE_KEYS)}")
            continue
        route = got["routes"][key]
        problems += subset_problems({k: v for k, v in exp.items() if k != "shortfalls"}, route, where)
        for want in exp.get("shortfalls") or ():
            crit = want.get("criterion")
            if crit not in route["shortfalls"]:
                problems.append(f"{where}: no shortfall for {crit!r} (have {sorted(route['shortfalls'])})")
            else:
                problems += subset_problems(want, route["shortfalls"][crit], f"{where}.shortfalls.{crit}")
    return problems


def project(applicant: dict[str, Any], as_of: dt.date, day: dt.date) -> dict[str, Any]:
    """The applicant on ``day``, as guidance assumes it: programs in progress that end by then are completed;
    jobs without an end date go on by themselves, and one whose hours are given as a total (so far, on
    ``as_of``) keeps its hours per day: its total grows in proportion to its days, both ends counted. Written
    independently of ``engine._guidance``."""
    out = copy.deepcopy(applicant)
    for program in out.get("programs") or ():
        end = program.get("completion_date")
        if program.get("status") == "in-progress" and end and as_of < dt.date.fromisoformat(end) <= day:
            program["status"] = "completed"
    for job in out.get("work_experience") or ():
        if job.get("end_date") or job.get("hours_per_week") is not None or job.get("total_hours") is None:
            continue
        first = job["start_date"]
        first = dt.date.fromisoformat(first) if isinstance(first, str) else first
        if first <= as_of:
            per_day = job["total_hours"] / ((as_of - first).days + 1)
            job["total_hours"] = per_day * ((day - first).days + 1)
    return out


def eligible_from_problems(case: Case, book: Rulebook) -> list[str]:
    """A stated ``eligible_from`` date, checked against verdicts: eligible on it, not the day before."""
    day = (case.expect.get("guidance") or {}).get("eligible_from")
    if not isinstance(day, dt.date):
        return []
    problems = []
    for when, want_eligible in ((day - dt.timedelta(days=1), False), (day, True)):
        evaluation = book.evaluate(
            project(case.applicant, case.as_of, when), as_of=when, credentials=[case.credential], state=case.state
        )
        verdict = evaluation.verdicts[0][1]
        if (verdict == "eligible") != want_eligible:
            problems.append(f"eligible_from {day}: on {when}, with the applicant projected, the verdict is {verdict}")
    return problems
