"""Load a rule set directory, validate it strictly and resolve it.

Layout (anything else in the directory is an error, so a stray script cannot hide in ``rules/``)::

    rules/
      README.md                 authoring guide (ignored by the loader)
      index.yaml                name and semantic version
      vocabulary.yaml           closed vocabularies
      credentials/<body>/<credential>.yaml
      states/<st>.yaml

Every problem in every file is collected before failing, each with the file, the key path and the line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.pofile import read_po
from pydantic import BaseModel, ValidationError

from ._dates import duration_code
from ._errors import RuleProblem, RuleSetError
from ._fields import field_catalogue
from ._measures import CompiledMeasure, MeasureError, compile_measure
from ._ruleset import (
    CitationRef,
    CredentialDef,
    CriterionDef,
    DerivationDef,
    GroupDef,
    RouteDef,
    RuleSet,
    StateDef,
    StateNoteDef,
    TestVersion,
)
from ._schema import (
    AnyGroup,
    Citation,
    CredentialFile,
    DerivationsFile,
    Duration,
    IndexFile,
    StateFile,
    Test,
    TimeBetweenMeasure,
    TimeSinceMeasure,
    TimeUntilMeasure,
    UnencodedRoute,
    Verification,
)
from ._vocab import Vocabulary, VocabularyFile
from ._yaml import LineMap, YamlProblemError, read_yaml
from .applicant import build_models
from .outcome import Bound, Op, Requirement, Unit

__all__ = ["load_rule_set", "rule_set_digest"]

M = TypeVar("M", bound=BaseModel)

_ORDER_OPS = ("at_least", "more_than", "at_most", "less_than")
_LOWER, _UPPER = ("at_least", "more_than"), ("at_most", "less_than")


class _Problems:
    """Collects problems for one file, turning key paths into line numbers."""

    def __init__(self, sink: list[RuleProblem], file: str, lines: LineMap) -> None:
        self.sink, self.file, self.lines = sink, file, lines
        self.count = 0

    def line_of(self, key: tuple[str | int, ...]) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def add(self, key: str | tuple[str | int, ...], message: str) -> None:
        parts: tuple[str | int, ...]
        if isinstance(key, str):
            parts = tuple(int(p) if p.isdigit() else p for p in key.split(".")) if key else ()
        else:
            parts = key
        dotted = ".".join(str(p) for p in parts)
        self.sink.append(RuleProblem(self.file, dotted, message, self.line_of(parts)))
        self.count += 1


def _data_path(data: Any, loc: tuple[str | int, ...], *, missing: bool = False) -> tuple[str | int, ...]:
    """The parts of a pydantic error location that exist in the input data.

    Parts that are not in the data are union tags (``int``, ``constrained-str``, a measure's kind) and are
    skipped, except the last part of a ``missing`` error: the key the file should have had.
    """
    kept: list[str | int] = []
    current = data
    for n, part in enumerate(loc):
        present = isinstance(current, dict) and part in current
        present = present or isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if present:
            kept.append(part)
            current = current[part]  # type: ignore[index]
        elif missing and n == len(loc) - 1 and isinstance(current, dict) and isinstance(part, str):
            kept.append(part)
    return tuple(kept)


# Errors that only say the input is not of one member's type: in a union, another member's error about
# the same place says what is wrong with it.
_TYPE_ERRORS = frozenset(
    {
        "int_type",
        "int_parsing",
        "float_type",
        "float_parsing",
        "string_type",
        "bool_type",
        "bool_parsing",
        "dict_type",
        "list_type",
        "model_type",
        "model_attributes_type",
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "literal_error",
        "enum",
        "is_instance_of",
        "none_required",
    }
)


def _validation_problems(exc: ValidationError, data: Any, problems: _Problems) -> None:
    found: list[tuple[tuple[str | int, ...], str, bool]] = []
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = _data_path(data, tuple(error["loc"]), missing=kind == "missing")
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = error["msg"].removeprefix("Value error, ")
        found.append((loc, message, kind in _TYPE_ERRORS))

    def covered(loc: tuple[str | int, ...], type_error: bool) -> bool:
        """A union reports one error per member: keep the most specific and most telling ones."""
        for other, _, other_type in found:
            if len(other) > len(loc) and other[: len(loc)] == loc:
                return True  # an error deeper inside the same value
            if type_error and not other_type and other == loc:
                return True  # "not a string" beside what is wrong with it as the member it is
        return False

    kept = [(loc, msg) for loc, msg, type_error in found if not covered(loc, type_error)]
    for loc, msg in dict.fromkeys(kept):
        problems.add(loc, msg)


def _parse(
    path: Path, display: str, model: type[M], sink: list[RuleProblem], content: bytes | None = None
) -> tuple[M | None, LineMap]:
    try:
        data, lines = read_yaml(path, display, content)
    except YamlProblemError as exc:
        sink.append(exc.problem)
        return None, {}
    problems = _Problems(sink, display, lines)
    if not isinstance(data, dict):
        problems.add("", "expected a mapping at the top level")
        return None, lines
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        _validation_problems(exc, data, problems)
        return None, lines


# Files at the top of a rule set besides README.md; derivations.yaml is optional.
_TOP_FILES = ("index.yaml", "vocabulary.yaml", "derivations.yaml")


def _rule_files(rels: Iterable[str], sink: list[RuleProblem] | None) -> tuple[list[str], list[str], list[str]]:
    """Sort the relative paths of a rule set's files into credential files, state files and the catalogues
    of their translations (hidden files, the README and the top files aside); anything else is a problem
    (when ``sink`` collects them)."""
    credentials: list[str] = []
    states: list[str] = []
    catalogues: list[str] = []
    for rel in sorted(rels, key=lambda r: r.split("/")):
        parts = rel.split("/")
        if parts[-1].startswith(".") or rel in ("README.md", *_TOP_FILES):
            continue
        if len(parts) == 3 and parts[0] == "credentials" and rel.endswith(".yaml"):
            credentials.append(rel)
        elif len(parts) == 2 and parts[0] == "states" and rel.endswith(".yaml"):
            states.append(rel)
        elif len(parts) >= 3 and parts[0] == "locale" and rel.endswith(".po"):
            catalogues.append(rel)
        elif sink is not None:
            sink.append(
                RuleProblem(
                    rel,
                    "",
                    "unexpected file: rules/ holds only index.yaml, vocabulary.yaml, derivations.yaml, "
                    "credentials/<body>/<credential>.yaml, states/<st>.yaml and locale/<language>/**.po "
                    "(data only, no code)",
                )
            )
    return credentials, states, catalogues


def _translations(
    files: Mapping[str, bytes], catalogues: list[str], sink: list[RuleProblem], root: Path
) -> dict[str, Any]:
    """Reviewed translations of the rule files' text: language -> {(rule file, context, English): text}.

    ``locale/es/credentials/aama/cma.po`` translates ``credentials/aama/cma.yaml``; drafts (fuzzy entries)
    and empty ones are left out, so an untranslated text shows in English."""
    out: dict[str, dict[Any, str]] = {}
    for rel in catalogues:
        if rel not in files:  # the snapshot could not read it: say why
            try:
                (root / rel).read_bytes()
            except OSError as exc:
                sink.append(RuleProblem(rel, "", f"cannot read the catalogue: {exc.strerror or exc}"))
            continue
        parts = rel.split("/")
        language, file = parts[1], Path(*parts[2:]).with_suffix(".yaml").as_posix()
        try:
            catalog = read_po(io.BytesIO(files[rel]), locale=language.replace("-", "_"))
        except Exception as exc:  # noqa: BLE001 - Babel raises several kinds for a broken catalogue
            sink.append(RuleProblem(rel, "", f"cannot read the catalogue: {exc}"))
            continue
        table = out.setdefault(language, {})
        for message in catalog:
            if message.id and isinstance(message.string, str) and message.string and not message.fuzzy:
                table[(file, message.context or "", message.id)] = message.string
    return out


def _files_on_disk(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()]


def _snapshot(root: Path, rels: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each file, read once: the rule set is built from, and digested over, this very content
    (a file edited while loading cannot give a digest that differs from what was parsed), and batch worker
    processes load the same content rather than whatever is on disk by then. Unreadable files are left
    out; parsing reports them."""
    files: dict[str, bytes] = {}
    for rel in rels:
        try:
            files[rel] = (root / rel).read_bytes()
        except OSError:
            continue
    return files


def _digest(files: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        name, content = rel.encode(), files[rel]
        h.update(len(name).to_bytes(4, "big") + name + len(content).to_bytes(8, "big") + content)
    return h.hexdigest()


def _rels(root: Path, sink: list[RuleProblem] | None) -> tuple[list[str], list[str], list[str], list[str]]:
    credentials, states, catalogues = _rule_files(_files_on_disk(root), sink)
    top = [name for name in _TOP_FILES if name != "derivations.yaml" or (root / name).is_file()]
    return top, credentials, states, catalogues


def rule_set_digest(root: str | Path) -> str:
    """The digest :func:`load_rule_set` would report, without validating: a cheap "did anything change?"."""
    root = Path(root)
    if not root.is_dir():
        return _digest({})
    top, credentials, states, catalogues = _rels(root, None)
    return _digest(_snapshot(root, [r for r in top if (root / r).is_file()] + credentials + states + catalogues))


# --------------------------------------------------------------------------------------------- tests


def _time_unit(test: Test) -> tuple[str | None, str | None]:
    """Decide days vs calendar for a time measure from its thresholds. Returns (unit, problem)."""
    units: set[str] = set()
    for op in _ORDER_OPS:
        value = getattr(test, op)
        values = [d.value for d in value] if isinstance(value, list) else [value] if value is not None else []
        for v in values:
            if not isinstance(v, Duration):
                return (
                    None,
                    f"`{op}` of a time measure must be a duration such as {{years: 4}} or {{days: 30}}",
                )
            units.add("days" if v.unit == "days" else "calendar")
    if not units:
        return None, "a time measure is tested with at_least / more_than / at_most / less_than and durations"
    if len(units) > 1:
        return None, "do not mix days with months or years in one test: split it into two criteria"
    return units.pop(), None


def _threshold(value: Any, measure: CompiledMeasure, vocab: Vocabulary | None) -> tuple[Any, Any, Unit | None]:
    """One threshold as the engine compares it, as the requirement states it, and its unit.

    Raises:
        ValueError: the threshold does not fit the measure.
    """
    kind = measure.kind
    if kind in ("days", "calendar"):
        assert isinstance(value, Duration)
        engine = value.amount if kind == "days" else duration_code(**{value.unit: value.amount})
        return engine, value.amount, Unit(value.unit)
    if kind == "rank":
        if not isinstance(value, str) or vocab is None or value not in vocab.values:
            allowed = ", ".join(vocab.values) if vocab else ""
            raise ValueError(f"`{value}` is not a level of this field; use one of: {allowed}")
        return vocab.rank(value), value, None
    if kind == "number":
        if isinstance(value, Duration | str):
            raise ValueError(f"`{value}` is not a number")
        return value, value, measure.unit
    raise ValueError(f"{kind} values are not compared with thresholds")


def _date_intervals(test: Test) -> list[tuple[dt.date | None, dt.date | None]]:
    bounds: set[dt.date] = set()
    for op in _ORDER_OPS:
        value = getattr(test, op)
        if isinstance(value, list):
            for d in value:
                if d.from_:
                    bounds.add(d.from_)
                if d.to:
                    bounds.add(d.to + dt.timedelta(days=1))
    if not bounds:
        return [(None, None)]
    edges = sorted(bounds)
    intervals: list[tuple[dt.date | None, dt.date | None]] = [(None, edges[0] - dt.timedelta(days=1))]
    for a, b in zip(edges, edges[1:], strict=False):
        intervals.append((a, b - dt.timedelta(days=1)))
    intervals.append((edges[-1], None))
    return intervals


def _value_at(value: Any, start: dt.date | None) -> Any:
    """The threshold in force from ``start`` (None: the open beginning), or ``_MISSING``."""
    if not isinstance(value, list):
        return value
    for dated in value:
        if (dated.from_ is None) if start is None else dated.contains(start):
            return dated.value
    return _MISSING


_MISSING = object()


def _allowed_values(measure: CompiledMeasure, ctx: _Context) -> set[str]:
    if measure.vocabulary == "credential":
        return ctx.credential_refs
    if measure.vocabulary:
        return set(ctx.vocabularies[measure.vocabulary].values)
    return set()


def _normalize_test(
    test: Test, measure: CompiledMeasure, ctx: _Context, problems: _Problems, key: str
) -> tuple[TestVersion, ...] | None:
    kind = measure.kind
    ops = test.operators()
    vocab = ctx.vocabularies.get(measure.vocabulary or "")
    allowed_ops = {
        "number": set(_ORDER_OPS),
        "days": set(_ORDER_OPS),
        "calendar": set(_ORDER_OPS),
        "rank": {*_ORDER_OPS, "one_of"},
        "enum": {"one_of"},
        "bool": {"is_"},
        "list": {"includes_any", "includes_all"},
    }[kind]
    bad = [op.rstrip("_") for op in ops if op not in allowed_ops]
    if bad:
        allowed = ", ".join(sorted(op.rstrip("_") for op in allowed_ops))
        problems.add(f"{key}.{bad[0]}", f"`{bad[0]}` does not apply to a {kind} measure; use {allowed}")
        return None

    vocabulary = measure.vocabulary
    if kind == "bool":
        flag = bool(test.is_)
        return (TestVersion(None, None, ((Op.IS, flag),), Requirement(Op.IS, value=flag)),)

    if kind in ("enum", "rank") and test.one_of is not None:
        allowed_values = _allowed_values(measure, ctx)
        for op_name in ("one_of", "unknown_for"):
            unknown = [v for v in getattr(test, op_name) or () if v not in allowed_values]
            if unknown:
                problems.add(
                    f"{key}.{op_name}",
                    f"`{unknown[0]}` is not in the `{measure.vocabulary}` vocabulary; "
                    f"allowed: {', '.join(sorted(allowed_values))}",
                )
                return None

        def engine_values(listed: list[str]) -> tuple[Any, ...]:
            return tuple(vocab.rank(v) for v in listed) if kind == "rank" and vocab else tuple(listed)

        undecided: tuple[tuple[Op, Any], ...] = (
            ((Op.ONE_OF, engine_values(test.unknown_for)),) if test.unknown_for else ()
        )
        requirement = Requirement(
            Op.ONE_OF, values=tuple(test.one_of), vocabulary=vocabulary, unknown_for=tuple(test.unknown_for or ())
        )
        return (TestVersion(None, None, ((Op.ONE_OF, engine_values(test.one_of)),), requirement, undecided),)
    if test.unknown_for is not None:
        problems.add(f"{key}.unknown_for", "`unknown_for` applies to `one_of` tests of enumerated fields")
        return None

    if kind == "list":
        op_name = "includes_any" if test.includes_any is not None else "includes_all"
        listed: list[str] = getattr(test, op_name)
        allowed_values = _allowed_values(measure, ctx)
        unknown = [v for v in listed if v not in allowed_values]
        if unknown:
            problems.add(f"{key}.{op_name}", f"`{unknown[0]}` is not a known {measure.vocabulary} value")
            return None
        set_op = Op(op_name)
        requirement = Requirement(set_op, values=tuple(listed), vocabulary=vocabulary)
        return (TestVersion(None, None, ((set_op, tuple(listed)),), requirement),)

    lower = sum(getattr(test, op) is not None for op in _LOWER)
    upper = sum(getattr(test, op) is not None for op in _UPPER)
    if lower > 1 or upper > 1:
        problems.add(key, "give at most one lower (at_least / more_than) and one upper (at_most / less_than) bound")
        return None
    versions: list[TestVersion] = []
    for start, end in _date_intervals(test):
        parts: list[tuple[Op, Any]] = []
        stated: list[tuple[Op, Any, Unit | None]] = []
        complete = True
        for op in _ORDER_OPS:
            raw = getattr(test, op)
            if raw is None:
                continue
            value = _value_at(raw, start)
            if value is _MISSING:
                complete = False
                break
            try:
                engine_value, human, unit = _threshold(value, measure, vocab)
            except ValueError as exc:
                problems.add(f"{key}.{op}", str(exc))
                return None
            parts.append((Op(op), engine_value))
            stated.append((Op(op), human, unit))
        if complete:
            (first, human, unit), *rest = stated
            also = Bound(rest[0][0], rest[0][1]) if rest else None
            vocab_name = vocabulary if kind == "rank" else None
            requirement = Requirement(first, value=human, unit=unit, vocabulary=vocab_name, also=also)
            versions.append(TestVersion(start, end, tuple(parts), requirement))
    # merge neighbours that ended up identical
    merged: list[TestVersion] = []
    for v in versions:
        if merged and merged[-1].ops == v.ops:
            merged[-1] = TestVersion(merged[-1].start, v.end, v.ops, v.requirement)
        else:
            merged.append(v)
    return tuple(merged)


# --------------------------------------------------------------------------------------------- files


class _Context:
    def __init__(
        self,
        vocabularies: dict[str, Vocabulary],
        credential_ids: set[str],
        rs_fields: Any,
        ranks: dict[str, dict[str, int]],
    ) -> None:
        self.vocabularies = vocabularies
        self.credential_ids = credential_ids
        self.credential_refs = credential_ids | set(vocabularies["other_credential"].values)
        self.fields = rs_fields
        self.ranks = ranks
        self.derivations: tuple[DerivationDef, ...] = ()


def _citations(
    cites: list[Citation], key: str, sources: dict[str, CitationRef], used: set[str], problems: _Problems
) -> tuple[CitationRef, ...]:
    out = []
    for i, cite in enumerate(cites):
        ref = sources.get(cite.source)
        if ref is None:
            listed = ", ".join(sorted(sources)) or "(none)"
            problems.add(f"{key}.{i}.source", f"unknown source `{cite.source}`; this file lists: {listed}")
            continue
        used.add(cite.source)
        out.append(CitationRef(ref.source, ref.title, ref.url, ref.kind, ref.retrieved, cite.pinpoint))
    return tuple(out)


def _credential(
    path: Path, rel: str, data: CredentialFile, lines: LineMap, ctx: _Context, sink: list[RuleProblem]
) -> CredentialDef | None:
    problems = _Problems(sink, rel, lines)
    body_dir, stem = Path(rel).parts[1], Path(rel).stem
    expected = f"{body_dir}.{stem}"
    if data.id != expected:
        problems.add("id", f"id `{data.id}` does not match the file path (expected `{expected}`)")
    if data.body.id != body_dir:
        problems.add("body.id", f"body id `{data.body.id}` does not match the folder `{body_dir}`")
    if data.family not in ctx.vocabularies["credential_family"].values:
        problems.add("family", f"`{data.family}` is not in the credential_family vocabulary")

    sources = {key: CitationRef(key, s.title, s.url, s.kind, s.retrieved) for key, s in data.sources.items()}
    used_sources: set[str] = set()

    def cite(cites: list[Citation], key: str) -> tuple[CitationRef, ...]:
        return _citations(cites, key, sources, used_sources, problems)

    criteria: dict[str, CriterionDef] = {}
    for slug, crit in data.criteria.items():
        key = f"criteria.{slug}"
        citations = cite(crit.cite, f"{key}.cite")
        unit = None
        if isinstance(crit.measure, TimeSinceMeasure | TimeUntilMeasure | TimeBetweenMeasure):
            unit, why = _time_unit(crit.test)
            if why:
                problems.add(f"{key}.test", why)
                continue
        try:
            measure = compile_measure(
                crit.measure,
                catalogue=ctx.fields,
                ranks=ctx.ranks,
                lab_areas=list(ctx.vocabularies["lab_area"].values),
                time_unit=unit,  # type: ignore[arg-type]
                key=f"{key}.measure",
                derivations=ctx.derivations,
            )
        except MeasureError as exc:
            problems.add(exc.key, str(exc))
            continue
        _check_measure_vocabulary(crit.measure, ctx, problems, f"{key}.measure")
        versions = _normalize_test(crit.test, measure, ctx, problems, f"{key}.test")
        if versions is None:
            continue
        criteria[slug] = CriterionDef(
            id=f"{data.id}.{slug}",
            key=slug,
            credential_id=data.id,
            label=crit.label,
            measure=measure,
            versions=versions,
            citations=citations,
            verification=crit.verification or data.verification,
            note=crit.note,
            effective=crit.effective,
            incomplete=crit.incomplete,
        )

    used_criteria: set[str] = set()
    names: dict[str, str] = {slug: f"criteria.{slug}" for slug in data.criteria}

    def entry(item: str | AnyGroup, key: str) -> CriterionDef | GroupDef | None:
        if isinstance(item, str):
            used_criteria.add(item)
            if item not in data.criteria:
                problems.add(key, f"unknown criterion `{item}`")
                return None
            return criteria.get(item)
        if item.id in names:
            problems.add(f"{key}.id", f"id `{item.id}` is already used by {names[item.id]}")
        names.setdefault(item.id, key)
        members = []
        for j, ref in enumerate(item.any):
            used_criteria.add(ref)
            if ref not in data.criteria:
                problems.add(f"{key}.any.{j}", f"unknown criterion `{ref}`")
            elif ref in criteria:
                members.append(criteria[ref])
        if len(members) != len(item.any):
            return None
        scopes = {m.scope for m in members} - {"applicant"}
        if len(scopes) > 1:
            problems.add(f"{key}.any", "a group cannot mix program and degree criteria")
            return None
        return GroupDef(
            f"{data.id}.{item.id}",
            item.id,
            item.label,
            tuple(members),
            scopes.pop() if scopes else "applicant",
        )

    common = [entry(item, f"common.{i}") for i, item in enumerate(data.common)]

    def caution_list(slugs: list[str], key: str) -> tuple[CriterionDef, ...] | None:
        out = []
        for i, slug in enumerate(slugs):
            used_criteria.add(slug)
            if slug not in data.criteria:
                problems.add(f"{key}.{i}", f"unknown criterion `{slug}`")
            elif slug in criteria:
                out.append(criteria[slug])
        return tuple(out) if len(out) == len(slugs) else None

    common_cautions = caution_list(data.cautions, "cautions")
    deciding: set[str] = set()
    caution_keys: set[str] = set(data.cautions)
    secondary_only: dict[str, str] = {}
    routes: list[RouteDef] = []
    # Encoded routes, then unencoded ones: an unencoded route's entries are the common ones and its gate.
    specs = [(f"routes.{i}", r, "criteria", r.criteria) for i, r in enumerate(data.routes)]
    specs += [(f"unencoded_routes.{i}", u, "gate", u.gate) for i, u in enumerate(data.unencoded_routes)]
    for key, route, items_key, items in specs:
        if route.id in names:
            problems.add(f"{key}.id", f"id `{route.id}` is already used by {names[route.id]}")
        names.setdefault(route.id, key)
        entries = [*common, *(entry(item, f"{key}.{items_key}.{i}") for i, item in enumerate(items))]
        seen: set[str] = set()
        for crit_def in (c for e in entries if e is not None for c in (e.members if isinstance(e, GroupDef) else (e,))):
            if crit_def.key in seen:
                problems.add(f"{key}.{items_key}", f"criterion `{crit_def.key}` appears twice in this route")
            seen.add(crit_def.key)
            deciding.add(crit_def.key)
        verification = route.verification or data.verification
        if isinstance(route, UnencodedRoute):
            route_cautions: tuple[CriterionDef, ...] | None = ()
            extra: dict[str, Any] = {
                # `common` entries are the body's baseline for every route, this one included: a gate too.
                "coverage": "gate" if entries else "none",
                "reason": route.reason,
                "citations": cite(route.cite, f"{key}.cite"),
            }
            not_evaluated: tuple[tuple[str, tuple[CitationRef, ...]], ...] = ()
        else:
            route_cautions = caution_list(route.cautions, f"{key}.cautions")
            caution_keys.update(route.cautions)
            extra = {"summary": route.summary, "effective": route.effective}
            not_evaluated = tuple(
                (ne.text, cite(ne.cite, f"{key}.not_evaluated.{j}.cite")) for j, ne in enumerate(route.not_evaluated)
            )
            for slug, where in _secondary_only(entries, verification, key).items():
                secondary_only.setdefault(slug, where)
        if any(e is None for e in entries) or route_cautions is None or common_cautions is None:
            continue
        routes.append(
            RouteDef(
                id=f"{data.id}.{route.id}",
                key=route.id,
                label=route.label,
                summary=extra.pop("summary", None),
                entries=tuple(e for e in entries if e is not None),
                verification=verification,
                effective=extra.pop("effective", None),
                not_evaluated=not_evaluated,
                cautions=common_cautions + route_cautions,
                **extra,
            )
        )
    for slug, route_key in sorted(secondary_only.items()):
        problems.add(
            f"criteria.{slug}",
            f"only secondary sources state this requirement, on a route whose own source is official ({route_key}): "
            "list it under `cautions` so that it never decides alone",
        )
    for slug in sorted(deciding & caution_keys):
        problems.add(f"criteria.{slug}", "criterion is both a caution and a deciding entry of a route")
    for slug in data.criteria:
        if slug not in used_criteria:
            problems.add(f"criteria.{slug}", "criterion is not used by any route")

    facts = tuple((f, cite(f.cite, f"facts.{i}.cite")) for i, f in enumerate(data.facts))
    for key in sorted(set(sources) - used_sources):
        problems.add(f"sources.{key}", "source is never cited")
    if problems.count:
        return None
    return CredentialDef(
        id=data.id,
        name=data.name,
        designation=data.designation,
        body_id=data.body.id,
        body_name=data.body.name,
        body_url=data.body.url,
        family=data.family,
        summary=data.summary,
        verification=data.verification,
        routes=tuple(routes),
        criteria=criteria,
        facts=facts,
        uncertain=tuple(data.uncertain),
        sources=sources,
        path=rel,
    )


def _secondary_only(
    entries: list[CriterionDef | GroupDef | None], verification: Verification, key: str
) -> dict[str, str]:
    """Deciding criteria that only secondary sources state, on a route whose own text is official.

    On such a route the certifying body's text is known; a condition it does not state, which only prep sites
    or schools report, may be shown as a caution (``cautions:``) but never decides alone.
    """
    if verification.source != "official":
        return {}
    found: dict[str, str] = {}
    for entry in entries:
        members = () if entry is None else entry.members if isinstance(entry, GroupDef) else (entry,)
        for crit in members:
            if crit.citations and all(c.kind == "secondary" for c in crit.citations):
                found.setdefault(crit.key, key)
    return found


def _check_measure_vocabulary(measure: Any, ctx: _Context, problems: _Problems, key: str) -> None:
    """Enum values written inside a measure (roles, settings) must be in their vocabularies."""
    for attr, vocab_name in (("roles", "experience_role"), ("settings", "experience_setting")):
        values = getattr(measure, attr, None) or []
        allowed = ctx.vocabularies[vocab_name].values
        for i, value in enumerate(values):
            if value not in allowed:
                problems.add(f"{key}.{attr}.{i}", f"`{value}` is not in the {vocab_name} vocabulary")


def _state(rel: str, data: StateFile, lines: LineMap, ctx: _Context, sink: list[RuleProblem]) -> StateDef | None:
    problems = _Problems(sink, rel, lines)
    stem = Path(rel).stem
    if data.code != stem.upper() or stem != stem.lower():
        problems.add("code", f"code `{data.code}` does not match the file name `{Path(rel).name}`")
    if data.code not in ctx.vocabularies["us_state"].values:
        problems.add("code", f"`{data.code}` is not in the us_state vocabulary")
    sources = {key: CitationRef(key, s.title, s.url, s.kind, s.retrieved) for key, s in data.sources.items()}
    used: set[str] = set()
    notes = []
    seen: set[str] = set()
    for i, note in enumerate(data.notes):
        key = f"notes.{i}"
        if note.id in seen:
            problems.add(f"{key}.id", f"duplicate note id `{note.id}`")
        seen.add(note.id)
        for j, fam in enumerate(note.families):
            if fam not in ctx.vocabularies["credential_family"].values:
                problems.add(f"{key}.families.{j}", f"`{fam}` is not in the credential_family vocabulary")
        for j, ref in enumerate(note.accepts):
            if ref not in ctx.credential_refs:
                problems.add(f"{key}.accepts.{j}", f"`{ref}` is not a known credential id")
        citations = _citations(note.cite, f"{key}.cite", sources, used, problems)
        notes.append(
            StateNoteDef(
                id=f"state.{stem}.{note.id}",
                title=note.title,
                kind=note.kind,
                families=tuple(note.families),
                summary=note.summary,
                accepts=tuple(note.accepts),
                citations=citations,
                verification=note.verification,
                effective=note.effective,
            )
        )
    for key in sorted(set(sources) - used):
        problems.add(f"sources.{key}", "source is never cited")
    if problems.count:
        return None
    return StateDef(data.code, data.name, data.summary, tuple(notes), tuple(data.unconfirmed), rel)


def _derivations(
    data: DerivationsFile, lines: LineMap, ctx: _Context, sink: list[RuleProblem]
) -> tuple[DerivationDef, ...]:
    """Resolve ``derivations.yaml``: both fields enumerated, of the same record, with values of their vocabulary."""
    problems = _Problems(sink, "derivations.yaml", lines)
    sources = {key: CitationRef(key, s.title, s.url, s.kind, s.retrieved) for key, s in data.sources.items()}
    used: set[str] = set()
    out: list[DerivationDef] = []
    seen: set[str] = set()
    for i, d in enumerate(data.derivations):
        key = f"derivations.{i}"
        if d.id in seen:
            problems.add(f"{key}.id", f"duplicate derivation id `{d.id}`")
        seen.add(d.id)
        specs = []
        for part in ("when", "then"):
            condition = getattr(d, part)
            spec = ctx.fields.get(condition.path)
            if spec is None or spec.type != "enum":
                problems.add(f"{key}.{part}.path", f"`{condition.path}` is not an enumerated applicant field")
                continue
            allowed = ctx.vocabularies[spec.vocabulary or ""].values
            for j, value in enumerate(condition.one_of):
                if value not in allowed:
                    problems.add(f"{key}.{part}.one_of.{j}", f"`{value}` is not in the `{spec.vocabulary}` vocabulary")
            specs.append(spec)
        records = {(spec.scope, spec.section_attr) for spec in specs}
        same_record = len(records) < 2
        if not same_record and {spec.scope for spec in specs} != {"applicant"}:
            problems.add(key, "`when` and `then` must be fields of the same record")
        if d.when.path == d.then.path:
            problems.add(f"{key}.then.path", "a field cannot be derived from itself")
        citations = _citations(d.cite, f"{key}.cite", sources, used, problems)
        out.append(
            DerivationDef(
                id=d.id,
                label=d.label,
                when_path=d.when.path,
                when_values=frozenset(d.when.one_of),
                then_path=d.then.path,
                then_values=tuple(d.then.one_of),
                citations=citations,
                verification=d.verification,
            )
        )
    for key in sorted(set(sources) - used):
        problems.add(f"sources.{key}", "source is never cited")
    return tuple(out)


def load_rule_set(root: str | Path, files: Mapping[str, bytes] | None = None) -> RuleSet:
    """Load, validate and resolve the rule set in ``root``.

    Args:
        root: the rule set directory (with ``files``: only where messages say the files are).
        files: the rule set's content, relative path -> bytes (:attr:`RuleSet.files` of a loaded set), to
            load instead of reading ``root``: the same content gives the same rule set and digest.

    Raises:
        RuleSetError: listing every problem found in every file.
    """
    root = Path(root)
    sink: list[RuleProblem] = []
    if files is None:
        if not root.is_dir():
            raise RuleSetError([RuleProblem(str(root), "", "rule set directory does not exist")])
        top, credential_rels, state_rels, catalogue_rels = _rels(root, sink)
        files = _snapshot(root, [*top, *credential_rels, *state_rels, *catalogue_rels])
    else:
        credential_rels, state_rels, catalogue_rels = _rule_files(files, sink)
    content = dict(files)
    credential_paths = [root / rel for rel in credential_rels]
    state_paths = [root / rel for rel in state_rels]

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix()

    def parse(path: Path, model: type[M]) -> tuple[M | None, LineMap]:
        return _parse(path, rel(path), model, sink, content.get(rel(path)))

    index, _ = parse(root / "index.yaml", IndexFile)
    vocab_file, _ = parse(root / "vocabulary.yaml", VocabularyFile)
    derivations_file, derivations_lines = (None, {})
    if "derivations.yaml" in content:
        derivations_file, derivations_lines = parse(root / "derivations.yaml", DerivationsFile)
    parsed_credentials = [(p, *parse(p, CredentialFile)) for p in credential_paths]
    parsed_states = [(p, *parse(p, StateFile)) for p in state_paths]
    if vocab_file is None or index is None:
        raise RuleSetError(sink)

    vocabularies = dict(vocab_file.vocabularies)
    credential_ids = {c.id for _, c, _ in parsed_credentials if c is not None}
    for overlap in sorted(credential_ids & set(vocabularies["other_credential"].values)):
        sink.append(
            RuleProblem(
                "vocabulary.yaml",
                f"vocabularies.other_credential.values.{overlap}",
                "this credential now has a rule file; remove it from other_credential",
            )
        )
    models = build_models(vocabularies, sorted(credential_ids))
    ordered = {name for name, v in vocabularies.items() if v.ordered}
    ranks = {name: {value: i for i, value in enumerate(vocabularies[name].values)} for name in ordered}
    ctx = _Context(vocabularies, credential_ids, field_catalogue(models, ordered), ranks)
    if derivations_file is not None:
        ctx.derivations = _derivations(derivations_file, derivations_lines, ctx, sink)

    credentials: dict[str, CredentialDef] = {}
    seen_ids: dict[str, str] = {}
    for path, data, lines in parsed_credentials:
        if data is None:
            continue
        if data.id in seen_ids:
            _Problems(sink, rel(path), lines).add("id", f"duplicate credential id (also in {seen_ids[data.id]})")
        seen_ids[data.id] = rel(path)
        cred = _credential(path, rel(path), data, lines, ctx, sink)
        if cred is not None:
            credentials[cred.id] = cred
    states: dict[str, StateDef] = {}
    for path, data, lines in parsed_states:
        if data is None:
            continue
        state = _state(rel(path), data, lines, ctx, sink)
        if state is not None:
            states[state.code] = state
    if not credential_paths:
        sink.append(RuleProblem("credentials/", "", "no credential files found"))
    translations = _translations(content, catalogue_rels, sink, root)
    if sink:
        raise RuleSetError(sink)
    return RuleSet(
        name=index.name,
        version=index.version,
        description=index.description,
        digest=_digest(content),
        root=str(root),
        vocabularies=vocabularies,
        credentials=dict(sorted(credentials.items())),
        states=dict(sorted(states.items())),
        models=models,
        fields=ctx.fields,
        derivations=ctx.derivations,
        translations=translations,
        files=content,
    )
