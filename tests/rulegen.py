"""Generated rule sets and applicants, for comparing the engine with the oracle beyond the bundled rules.

:func:`write_rule_set` writes a small random rule set (the bundled index and vocabulary, two or three
credentials) using every measure and rule feature the loader accepts: field values of every type, ordered
vocabularies, ``age``, ``time_since``/``time_until``/``time_between`` (``end_absent``) in days or calendar
units, ``sum``, ``experience`` (roles, totals in time, hours or counts, ``within``/``since`` windows,
``supervised``, ``settings``, ``min_hours_per_week``), ``experience_areas``, ``certifications`` (``status``,
``earned_within``), dated thresholds (with gaps), ``effective`` on criteria and routes, ``common`` entries,
groups of alternatives, cautions, unencoded routes (with gates), ``incomplete`` criteria, ``unknown_for``
values, ``only_lab_duties``, provisional rules and derived facts (``derivations.yaml``). It returns
:class:`Hints`: the thresholds, durations and values the rule set uses, from which :func:`applicant` draws
facts at, around and far from them, relative to an evaluation date. Both are driven by a
``random.Random``, so a seed reproduces a case.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta

from tests.helpers import make_rule_set

VOCABULARY = yaml.safe_load((Path(__file__).resolve().parent.parent / "rules" / "vocabulary.yaml").read_text())
VOCAB: dict[str, list[str]] = {name: list(v["values"]) for name, v in VOCABULARY["vocabularies"].items()}

# Evaluation dates: month ends, 28 and 29 February, 1 March, and ordinary days.
EVALUATION_DATES = [
    dt.date(2026, 11, 23),
    dt.date(2028, 2, 29),
    dt.date(2024, 2, 29),
    dt.date(2027, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 31),
    dt.date(2026, 1, 31),
    dt.date(2025, 12, 31),
    dt.date(2026, 4, 30),
    dt.date(2026, 6, 15),
]

NUMBER_FIELDS = {
    "program.clock_hours": (160, 600, 720, 1000),
    "program.clinical_hours": (40, 100, 160),
    "program.didactic_hours": (100, 300),
    "program.duration_weeks": (8, 12, 36),
    "program.ekgs": (10, 30),
    "program.injections": (10, 25),
    "semester_hours.chemistry": (8, 16),
    "semester_hours.total": (30, 60),
    "semester_hours.biology": (12, 24.5),
}
ENUM_FIELDS = {
    "program.accreditor": "accreditor",
    "program.discipline": "discipline",
    "program.status": "program_status",
    "program.award": "program_award",
    "program.institution_accreditation": "institution_accreditation",
    "high_school.credential": "high_school_credential",
    "degree.field": "degree_field",
    "degree.institution_accreditation": "institution_accreditation",
}
DATE_FIELDS = ("program.completion_date", "program.start_date", "high_school.date", "degree.conferred_date")
TOTALS = ("years", "months", "hours", "venipunctures", "capillary_punctures", "ekgs", "arterial_punctures")
TOTAL_THRESHOLDS = {
    "years": (0.5, 1, 2),
    "months": (6, 12, 18),
    "hours": (160, 1040, 2080),
    "venipunctures": (30, 100),
    "capillary_punctures": (10, 25),
    "ekgs": (10, 30),
    "arterial_punctures": (5,),
}
ORDER_OPS = ("at_least", "more_than", "at_most", "less_than")


@dataclass
class Hints:
    """What a generated rule set compares against: applicants are drawn around these."""

    numbers: dict[str, set[float]] = field(default_factory=dict)  # field path (or "age") -> thresholds
    totals: dict[str, set[float]] = field(default_factory=dict)  # experience total -> thresholds
    weekly: set[float] = field(default_factory=lambda: {40.0})
    months: set[int] = field(default_factory=lambda: {0})  # calendar durations, in months
    days: set[int] = field(default_factory=lambda: {0})
    dates: set[dt.date] = field(default_factory=set)  # effective and dated-threshold bounds
    roles: set[str] = field(default_factory=set)
    credentials: set[str] = field(default_factory=set)
    credential_ids: list[str] = field(default_factory=list)

    def duration(self, d: dict[str, int]) -> None:
        if "days" in d:
            self.days.add(d["days"])
        else:
            self.months.add(d.get("years", 0) * 12 + d.get("months", 0))


# ---------------------------------------------------------------------------------------------- rule files


class _CredentialWriter:
    def __init__(self, rng: random.Random, cid: str, hints: Hints, anchor: dt.date) -> None:
        self.rng, self.cid, self.hints, self.anchor = rng, cid, hints, anchor

    # -- thresholds and dates

    def date_near(self) -> dt.date:
        rng = self.rng
        base = rng.choice(EVALUATION_DATES) if rng.random() < 0.7 else self.anchor
        day = base + dt.timedelta(days=rng.choice((0, 0, -1, 1, -30, 45, -400, 200)))
        self.hints.dates.add(day)
        return day

    def effective(self, chance: float) -> dict[str, dt.date] | None:
        if self.rng.random() >= chance:
            return None
        a, b = sorted((self.date_near(), self.date_near()))
        return self.rng.choice(({"from": a}, {"to": b}, {"from": a, "to": b}))

    def dated(self, values: list[Any]) -> Any:
        """One threshold, or (a time in four) the same threshold dated: two or three values, oldest first."""
        rng = self.rng
        if len(values) < 2 or rng.random() >= 0.25:
            return rng.choice(values)
        n = min(len(values), rng.choice((2, 3)))
        picked = rng.sample(values, n)
        edges = sorted({self.date_near() for _ in range(n - 1)})
        out: list[dict[str, Any]] = []
        for i, value in enumerate(picked[: len(edges) + 1]):
            item: dict[str, Any] = {"value": value}
            if i > 0:  # the day after the previous value ends, or (rarely) later: a gap with no value
                gap = rng.choice((0,) * 8 + (1, 40))
                item["from"] = edges[i - 1] + dt.timedelta(days=1 + gap)
                self.hints.dates.add(item["from"])
            if i < len(edges):
                item["to"] = edges[i]
            out.append(item)
        if len(out) < 2 or any(b["from"] > b.get("to", b["from"]) for b in out[1:]):
            return out[0]["value"]
        if rng.random() < 0.1:  # no value before the first one starts, or after the last one ends
            out[0]["from"] = out[0].get("to", self.date_near()) - dt.timedelta(days=rng.choice((0, 100)))
        elif rng.random() < 0.1 and "to" not in out[-1]:
            out[-1]["to"] = out[-1]["from"] + dt.timedelta(days=rng.choice((0, 100)))
        return out

    def order_test(self, values: list[Any], two_sided: bool = True) -> dict[str, Any]:
        """One ordering operator, or (one time in five) a range that some value passes whatever the date."""
        rng = self.rng
        distinct = sorted({_order_key(v): v for v in values}.items())
        values = [v for _, v in distinct]
        if two_sided and len(values) >= 2 and rng.random() < 0.2:
            k = rng.randint(1, len(values) - 1)  # every lower bound below every upper bound
            lower = rng.choice(("at_least", "more_than"))
            upper = rng.choice(("at_most", "less_than"))
            return {lower: self.dated(values[:k]), upper: self.dated(values[k:])}
        return {rng.choice(ORDER_OPS): self.dated(values)}

    def duration(self, unit_family: str) -> dict[str, int]:
        rng = self.rng
        if unit_family == "days":
            d = {"days": rng.choice((1, 30, 45, 90, 365))}
        elif rng.random() < 0.5:
            d = {"years": rng.choice((1, 2, 3, 4, 5))}
        else:
            d = {"months": rng.choice((1, 6, 12, 18, 30))}
        self.hints.duration(d)
        return d

    # -- criteria

    def criterion(self) -> tuple[dict[str, Any], str]:
        """A criterion's measure and test, and its scope (applicant, program or degree)."""
        rng = self.rng
        kind = rng.choice(
            (
                "number", "number", "enum", "rank", "bool", "list", "age", "time_since", "time_since",
                "time_until", "time_between", "sum", "experience", "experience", "experience", "areas",
                "certifications", "certifications",
            )
        )  # fmt: skip
        hints = self.hints
        if kind == "number":
            path = rng.choice(sorted(NUMBER_FIELDS))
            values = list(NUMBER_FIELDS[path])
            hints.numbers.setdefault(path, set()).update(values)
            return {"measure": path, "test": self.order_test(values)}, _scope(path)
        if kind == "enum":
            path = rng.choice(sorted(ENUM_FIELDS))
            vocab = VOCAB[ENUM_FIELDS[path]]
            test: dict[str, Any] = {"one_of": rng.sample(vocab, rng.randint(1, min(3, len(vocab) - 1)))}
            undecided = [v for v in vocab if v not in test["one_of"]]
            if rng.random() < 0.25:  # values the source does not decide
                test["unknown_for"] = rng.sample(undecided, 1)
            return {"measure": path, "test": test}, _scope(path)
        if kind == "rank":
            levels = VOCAB["degree_level"]
            if rng.random() < 0.3:
                return {"measure": "degree.level", "test": {"one_of": rng.sample(levels, 2)}}, "degree"
            return {"measure": "degree.level", "test": self.order_test(levels, two_sided=False)}, "degree"
        if kind == "bool":
            path = rng.choice(("program.military", "program.postsecondary"))
            return {"measure": path, "test": {"is": rng.random() < 0.7}}, "program"
        if kind == "list":
            op = rng.choice(("includes_any", "includes_all"))
            return {"measure": "program.approvals", "test": {op: rng.sample(VOCAB["program_approval"], 2)}}, "program"
        if kind == "age":
            values = [16, 18, 21, 65]
            hints.numbers.setdefault("age", set()).update(values)
            return {"measure": "age", "test": self.order_test(values)}, "applicant"
        if kind in ("time_since", "time_until"):
            path = rng.choice(DATE_FIELDS)
            family = rng.choice(("days", "calendar", "calendar"))
            values = [self.duration(family) for _ in range(3)]
            return {"measure": {"kind": kind, "date": path}, "test": self.order_test(values)}, _scope(path)
        if kind == "time_between":
            start, end = rng.choice(
                (
                    ("program.start_date", "program.completion_date"),
                    ("program.accredited_from", "program.completion_date"),
                    ("program.start_date", "program.accredited_from"),
                )
            )
            measure: dict[str, Any] = {"kind": "time_between", "start": start, "end": end}
            if rng.random() < 0.5:
                measure["end_absent"] = rng.choice(("zero", "unknown"))
            values = [self.duration(rng.choice(("days", "calendar"))) for _ in range(1)]
            values += [self.duration("days" if "days" in values[0] else "calendar") for _ in range(2)]
            return {"measure": measure, "test": self.order_test(values)}, "program"
        if kind == "sum":
            values = [20, 50, 100]
            hints.numbers.setdefault("program.venipunctures", set()).update(v / 2 for v in values)
            hints.numbers.setdefault("program.capillary_punctures", set()).update(v / 2 for v in values)
            measure = {"kind": "sum", "paths": ["program.venipunctures", "program.capillary_punctures"]}
            return {"measure": measure, "test": self.order_test(values, two_sided=False)}, "program"
        if kind == "experience":
            return self.experience()
        if kind == "areas":
            roles = rng.sample(VOCAB["experience_role"], rng.randint(1, 3))
            hints.roles.update(roles)
            measure = {"kind": "experience_areas", "roles": roles}
            if rng.random() < 0.6:
                measure["within"] = self.duration(rng.choice(("days", "calendar")))
            op = rng.choice(("includes_any", "includes_all"))
            return {"measure": measure, "test": {op: rng.sample(VOCAB["lab_area"], rng.randint(1, 3))}}, "applicant"
        measure = {"kind": "certifications"}
        if rng.random() < 0.5:
            measure["status"] = rng.choice(("any", "active"))
        if rng.random() < 0.6:
            measure["earned_within"] = self.duration(rng.choice(("days", "calendar", "calendar")))
        pool = [c for c in self.hints.credential_ids if c != self.cid] + rng.sample(VOCAB["other_credential"], 3)
        wanted = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        hints.credentials.update(wanted)
        op = rng.choice(("includes_any", "includes_all"))
        return {"measure": measure, "test": {op: wanted}}, "applicant"

    def experience(self) -> tuple[dict[str, Any], str]:
        rng, hints = self.rng, self.hints
        roles = rng.sample(VOCAB["experience_role"], rng.randint(1, 3))
        hints.roles.update(roles)
        total = rng.choice(TOTALS[:3] * 2 + TOTALS[3:])
        measure: dict[str, Any] = {"kind": "experience", "roles": roles, "total": total}
        scope = "applicant"
        window = rng.random()
        if window < 0.45:
            measure["within"] = self.duration(rng.choice(("days", "calendar", "calendar")))
        elif window < 0.7:
            measure["since"] = rng.choice(("program.completion_date", "program.start_date", "degree.conferred_date"))
            scope = _scope(measure["since"])
        if rng.random() < 0.4:
            measure["supervised"] = rng.random() < 0.8
        if rng.random() < 0.3:
            measure["min_hours_per_week"] = rng.choice((20, 35, 32.5))
            hints.weekly.add(float(measure["min_hours_per_week"]))
        if rng.random() < 0.3:
            measure["settings"] = rng.sample(VOCAB["experience_setting"], rng.randint(1, 3))
        if total == "hours" and rng.random() < 0.3:
            measure["only_lab_duties"] = True
        values = list(TOTAL_THRESHOLDS[total])
        hints.totals.setdefault(total, set()).update(values)
        return {"measure": measure, "test": self.order_test(values, two_sided=False)}, scope

    # -- the file

    def write(self) -> dict[str, Any]:
        rng = self.rng
        criteria: dict[str, dict[str, Any]] = {}
        scopes: dict[str, str] = {}
        for i in range(rng.randint(3, 8)):
            slug = f"k{i}"
            crit, scope = self.criterion()
            crit = {"label": f"Criterion {i}", **crit, "cite": {"source": "doc"}}
            effective = self.effective(0.2)
            if effective:
                crit["effective"] = effective
            if rng.random() < 0.1:  # only the known part of a requirement: at best unknown
                crit["incomplete"] = "The source does not state the rest."
            if rng.random() < 0.1:
                crit["verification"] = {"source": "official", "confidence": "medium", "provisional": True}
            criteria[slug] = crit
            scopes[slug] = scope
        # Cautions: criteria shown with a route (or every route) that never decide; none is also deciding.
        cautions: dict[str, str] = {}  # slug -> "credential" or "route"
        for where in ("credential", "route"):
            if rng.random() < 0.2:
                slug = f"c{len(cautions)}"
                crit, _ = self.criterion()
                criteria[slug] = {"label": f"Caution {slug}", **crit, "cite": {"source": "doc"}}
                cautions[slug] = where

        slugs = [s for s in criteria if s not in cautions]
        rng.shuffle(slugs)
        common = [slugs.pop()] if len(slugs) > 2 and rng.random() < 0.3 else []
        n_routes = rng.randint(1, 3)
        routes: list[list[Any]] = [[] for _ in range(n_routes)]
        used = set(common)
        groups = 0

        def entry_for(route: list[Any], pool: list[str]) -> None:
            nonlocal groups
            taken = {m for e in route for m in (e["any"] if isinstance(e, dict) else [e])} | set(common)
            free = [s for s in pool if s not in taken]
            if not free:
                return
            first = rng.choice(free)
            members = [first]
            if rng.random() < 0.3:  # a group of alternatives: never program and degree criteria together
                kinds = {scopes[first]} - {"applicant"}
                for other in rng.sample(free, len(free)):
                    if other not in members and len(members) < 3 and len(kinds | {scopes[other]} - {"applicant"}) <= 1:
                        members.append(other)
                        kinds |= {scopes[other]} - {"applicant"}
            if len(members) > 1:
                route.append({"id": f"g{groups}", "label": f"Group {groups}", "any": members})
                groups += 1
                used.update(members)
            else:
                route.append(first)
                used.add(first)

        for route in routes:
            for _ in range(rng.randint(1, 3)):
                entry_for(route, slugs)
        for slug in slugs:  # every criterion used somewhere
            if slug not in used:
                route = rng.choice(routes)
                if slug not in {m for e in route for m in (e["any"] if isinstance(e, dict) else [e])}:
                    route.append(slug)
                    used.add(slug)
                else:
                    routes.append([slug])
                    used.add(slug)
        for route in routes:
            if not route:
                route.append(rng.choice([s for s in slugs if s not in common] or slugs))

        route_data = []
        for r, entries in enumerate(routes):
            data: dict[str, Any] = {"id": f"r{r}", "label": f"Route {r}", "criteria": entries}
            effective = self.effective(0.2)
            if effective:
                data["effective"] = effective
            route_data.append(data)
        for slug, where in cautions.items():
            if where == "route":
                rng.choice(route_data).setdefault("cautions", []).append(slug)

        body, name = self.cid.split(".")
        out: dict[str, Any] = {
            "id": self.cid,
            "name": f"Generated {name}",
            "designation": name.upper(),
            "body": {"id": body, "name": "Generated body", "url": "https://example.org/"},
            "family": rng.choice(VOCAB["credential_family"]),
            "summary": "A generated credential.",
            "verification": {"source": "official", "confidence": "high"},
            "sources": {
                "doc": {"title": "Doc", "url": "https://example.org/doc", "kind": "official", "retrieved": self.anchor}
            },
        }
        if common:
            out["common"] = common
        credential_cautions = [s for s, where in cautions.items() if where == "credential"]
        if credential_cautions:
            out["cautions"] = credential_cautions
        out["criteria"] = criteria
        out["routes"] = route_data
        if rng.random() < 0.25:
            unencoded: dict[str, Any] = {
                "id": "u0",
                "label": "Unencoded",
                "reason": "Not published.",
                "cite": {"source": "doc"},
                "verification": {"source": "official", "confidence": "low"},
            }
            gate: list[Any] = []
            if rng.random() < 0.6:  # what is known of who the route is for
                entry_for(gate, slugs)
                if rng.random() < 0.4:
                    entry_for(gate, slugs)
            if gate:
                unencoded["gate"] = gate
            out["unencoded_routes"] = [unencoded]
        return out


def _order_key(value: Any) -> Any:
    if isinstance(value, dict):  # a duration, in months or days (one family per test)
        return value.get("days", value.get("years", 0) * 12 + value.get("months", 0))
    if isinstance(value, str):  # a degree level, in the vocabulary's order
        return VOCAB["degree_level"].index(value)
    return value


def _scope(path: str) -> str:
    head = path.split(".")[0]
    return head if head in ("program", "degree") else "applicant"


# Derived facts the generator may state: (when field, then field), both enumerated fields of one record.
DERIVABLE = (
    ("program.accreditor", "program.institution_accreditation"),
    ("program.discipline", "program.award"),
    ("degree.field", "degree.institution_accreditation"),
)


def _derivations(rng: random.Random, anchor: dt.date) -> dict[str, Any]:
    derivations = []
    for i, (when, then) in enumerate(rng.sample(DERIVABLE, rng.randint(1, 2))):
        when_vocab, then_vocab = VOCAB[ENUM_FIELDS[when]], VOCAB[ENUM_FIELDS[then]]
        derivations.append(
            {
                "id": f"d{i}",
                "label": f"Derivation {i}",
                "when": {"path": when, "one_of": rng.sample(when_vocab, rng.randint(1, 3))},
                "then": {"path": then, "one_of": rng.sample(then_vocab, rng.randint(1, min(3, len(then_vocab))))},
                "cite": [{"source": "standards"}],
                "verification": {"source": "official", "confidence": "high"},
            }
        )
    source = {"title": "Standards", "url": "https://example.org/standards", "kind": "official", "retrieved": anchor}
    return {"sources": {"standards": source}, "derivations": derivations}


def write_rule_set(tmp_path: Path, rng: random.Random) -> tuple[Path, Hints, dict[str, str]]:
    """A random valid rule set under ``tmp_path``; returns its root, its hints and its files (path -> text)."""
    hints = Hints()
    n = rng.randint(2, 3)
    hints.credential_ids = [f"gen.c{i}" for i in range(n)]
    anchor = rng.choice(EVALUATION_DATES)
    files = {}
    for cid in hints.credential_ids:
        data = _CredentialWriter(rng, cid, hints, anchor).write()
        files[f"credentials/gen/{cid.split('.')[1]}.yaml"] = yaml.safe_dump(data, sort_keys=False, width=200)
    if rng.random() < 0.3:
        files["derivations.yaml"] = yaml.safe_dump(_derivations(rng, anchor), sort_keys=False, width=200)
    return make_rule_set(tmp_path, files), hints, files


# ---------------------------------------------------------------------------------------------- applicants


class _ApplicantWriter:
    def __init__(self, rng: random.Random, hints: Hints, as_of: dt.date) -> None:
        self.rng, self.hints, self.as_of = rng, hints, as_of
        anchors = {as_of, dt.date(as_of.year, 2, 28), dt.date(as_of.year, 3, 1)} | hints.dates
        for n in hints.months:
            anchors.update((as_of - relativedelta(months=n), as_of + relativedelta(months=n)))
        for n in hints.days:
            anchors.update((as_of - dt.timedelta(days=n), as_of + dt.timedelta(days=n)))
        self.anchors = sorted(anchors)

    def maybe(self, chance: float = 0.75) -> bool:
        return self.rng.random() < chance

    def date(self, around: dt.date | None = None) -> dt.date:
        """A date at a window edge (or ``around`` a given date), a day or two either side, or anywhere."""
        rng = self.rng
        mode = rng.random()
        if mode < 0.55:
            day = rng.choice(self.anchors) + dt.timedelta(days=rng.choice((0, 0, -1, 1, -2, 2)))
        elif mode < 0.65 and around is not None:
            months = rng.choice(sorted(self.hints.months))
            day = (
                around + relativedelta(months=rng.choice((months, -months))) + dt.timedelta(days=rng.choice((0, -1, 1)))
            )
        elif mode < 0.75:
            year = rng.choice([y for y in range(self.as_of.year - 12, self.as_of.year + 2) if calendar.isleap(y)])
            day = dt.date(year, 2, 29) + dt.timedelta(days=rng.choice((0, -1, 1)))
        elif mode < 0.85:
            first = dt.date(self.as_of.year, self.as_of.month, 1) + relativedelta(months=rng.randint(-130, 12))
            day = first + relativedelta(months=1) - dt.timedelta(days=1)
        else:
            day = self.as_of + dt.timedelta(days=rng.randint(-5000, 900))
        return min(max(day, dt.date(1900, 1, 1)), dt.date(2100, 12, 31))

    def number(self, path: str, whole: bool = False) -> float:
        rng = self.rng
        near = sorted(self.hints.numbers.get(path, set()))
        if near and rng.random() < 0.8:
            step = rng.choice((0, 0, 1, -1) + (() if whole else (0.5, -0.5)))
            return max(0, rng.choice(near) + step)
        return rng.choice((0, 1, 5, 50, 500, 999))

    def write(self) -> dict[str, Any]:
        rng, as_of = self.rng, self.as_of
        app: dict[str, Any] = {}
        if self.maybe():
            if self.maybe(0.6):
                years = int(rng.choice(sorted(self.hints.numbers.get("age", {18}))))
                birth = as_of - relativedelta(years=years) + dt.timedelta(days=rng.choice((0, -1, 1)))
            elif self.maybe(0.3):
                birth = dt.date(
                    rng.choice([y for y in range(as_of.year - 22, as_of.year - 15) if calendar.isleap(y)]), 2, 29
                )
            else:
                birth = as_of - dt.timedelta(days=rng.randint(0, 70 * 366))
            app["birth_date"] = max(birth, dt.date(1900, 1, 1)).isoformat()
        if self.maybe(0.6):
            hs: dict[str, Any] = {"credential": rng.choice(VOCAB["high_school_credential"])}
            if self.maybe():
                hs["date"] = self.date().isoformat()
            app["high_school"] = hs
        if self.maybe(0.6):
            app["semester_hours"] = {
                p.split(".")[1]: self.number(p)
                for p in NUMBER_FIELDS
                if p.startswith("semester_hours") and self.maybe()
            }
        count = self.count(3)
        if count is not None:
            app["degrees"] = [self.degree() for _ in range(count)]
        count = self.count(3)
        if count is not None:
            app["programs"] = [self.program() for _ in range(count)]
        completions = [
            dt.date.fromisoformat(p["completion_date"]) for p in app.get("programs", []) if "completion_date" in p
        ]
        count = self.count(4)
        if count is not None:
            app["work_experience"] = [self.job(rng.choice(completions) if completions else None) for _ in range(count)]
        count = self.count(3)
        if count is not None:
            app["certifications"] = [self.certification() for _ in range(count)]
        return app

    def count(self, most: int) -> int | None:
        kind = self.rng.random()
        return None if kind < 0.2 else 0 if kind < 0.3 else self.rng.randint(1, most)

    def degree(self) -> dict[str, Any]:
        rng = self.rng
        d: dict[str, Any] = {"level": rng.choice(VOCAB["degree_level"])}
        if self.maybe():
            d["field"] = rng.choice(VOCAB["degree_field"])
        if self.maybe():
            d["conferred_date"] = self.date().isoformat()
        if self.maybe(0.5):
            d["institution_accreditation"] = rng.choice(VOCAB["institution_accreditation"])
        return d

    def program(self) -> dict[str, Any]:
        rng = self.rng
        p: dict[str, Any] = {"discipline": rng.choice(VOCAB["discipline"])}
        if self.maybe(0.6):
            p["status"] = rng.choice(VOCAB["program_status"])
        completion = self.date() if self.maybe(0.8) else None
        if completion:
            p["completion_date"] = completion.isoformat()
        if self.maybe(0.6):
            start = self.date(completion)
            if completion and start > completion:
                start = completion - dt.timedelta(days=rng.choice((0, 1, 200)))
            p["start_date"] = start.isoformat()
        if self.maybe(0.4):
            p["accredited_from"] = self.date(completion).isoformat()
        for path, vocab in (("accreditor", "accreditor"), ("award", "program_award"),
                            ("institution_accreditation", "institution_accreditation")):  # fmt: skip
            if self.maybe(0.6):
                p[path] = rng.choice(VOCAB[vocab])
        if self.maybe(0.6):
            p["approvals"] = rng.sample(VOCAB["program_approval"], rng.randint(0, len(VOCAB["program_approval"])))
        for flag in ("military", "postsecondary"):
            if self.maybe(0.6):
                p[flag] = rng.random() < 0.5
        for path in NUMBER_FIELDS:
            if path.startswith("program.") and self.maybe(0.6):
                whole = path in ("program.ekgs", "program.injections")
                p[path.split(".")[1]] = int(self.number(path, whole)) if whole else self.number(path)
        for path in ("venipunctures", "capillary_punctures"):
            if self.maybe(0.6):
                p[path] = int(self.number(f"program.{path}", whole=True))
        return p

    def job(self, around: dt.date | None) -> dict[str, Any]:
        rng, hints, as_of = self.rng, self.hints, self.as_of
        roles = sorted(hints.roles) or VOCAB["experience_role"]
        job: dict[str, Any] = {"role": rng.choice(roles) if self.maybe(0.85) else rng.choice(VOCAB["experience_role"])}
        weekly = rng.choice(sorted(hints.weekly | {40.0, 20.0, 0.0}))
        weekly = min(168.0, max(0.0, weekly + rng.choice((0, 0, 0.5, -0.5))))
        # Length: what makes a total reach one of its thresholds (1 year = 365 days), a day either side.
        total = rng.choice(sorted(hints.totals) or ["years"])
        target = rng.choice(sorted(hints.totals.get(total, {1})))
        if total == "years":
            days = round(target * 365)
        elif total == "months":
            days = round(target * 365 / 12)
        elif total == "hours" and weekly:
            days = round(target * 7 / weekly)
        else:
            days = rng.choice((1, 30, 365))
        days = max(1, days + rng.choice((0, 0, 1, -1, 2)))
        placing = rng.random()
        if placing < 0.35:  # ending on the evaluation date, or ongoing
            start = as_of - dt.timedelta(days=days - 1)
            end = None if self.maybe(0.5) else as_of
        elif placing < 0.7:  # starting at a window edge (or a completion date)
            start = self.date(around) if around and self.maybe(0.4) else rng.choice(self.anchors)
            start += dt.timedelta(days=rng.choice((0, -1, 1)))
            end = start + dt.timedelta(days=days - 1)
        else:
            start = self.date(around)
            end = None if self.maybe(0.3) else start + dt.timedelta(days=rng.randint(0, 3000))
        start = max(start, dt.date(1900, 1, 1))
        job["start_date"] = start.isoformat()
        if end is not None:
            job["end_date"] = min(max(end, start), dt.date(2100, 12, 31)).isoformat()
        hours = rng.random()
        if hours < 0.5:
            job["hours_per_week"] = weekly
        elif hours < 0.75:
            span = ((end or as_of) - start).days + 1
            job["total_hours"] = min(100_000, max(0, round(weekly * max(span, 1) / 7, 2)))
        if self.maybe(0.1):
            job.setdefault("hours_per_week", weekly)
            job.setdefault("total_hours", 1000)
        if self.maybe(0.5):
            job["lab_duties_percent"] = rng.choice((0, 25, 50, 100, 33.3))
        if self.maybe(0.6):
            job["supervised"] = rng.random() < 0.7
        if self.maybe(0.6):
            job["setting"] = rng.choice(VOCAB["experience_setting"])
        if self.maybe(0.6):
            job["lab_areas"] = rng.sample(VOCAB["lab_area"], rng.randint(0, 4))
        for count in TOTALS[3:]:
            if self.maybe(0.4):
                near = sorted(hints.totals.get(count, {10}))
                job[count] = max(0, int(rng.choice(near)) + rng.choice((0, -1, 1, -20)))
        return job

    def certification(self) -> dict[str, Any]:
        rng = self.rng
        pool = sorted(self.hints.credentials) or self.hints.credential_ids
        cert: dict[str, Any] = {
            "credential": rng.choice(pool) if self.maybe(0.8) else rng.choice(self.hints.credential_ids)
        }
        if self.maybe(0.7):
            cert["status"] = rng.choice(("active", "active", "lapsed"))
        if self.maybe(0.7):
            cert["earned_date"] = self.date().isoformat()
        return cert


def applicant(rng: random.Random, hints: Hints, as_of: dt.date) -> dict[str, Any]:
    """An applicant (as the API accepts it) with facts around the rule set's thresholds and windows."""
    return _ApplicantWriter(rng, hints, as_of).write()
