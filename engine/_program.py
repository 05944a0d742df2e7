"""The rule set compiled into one durable-rules ruleset, and the sessions that run it.

Compilation
-----------
Every criterion's test becomes a durable-rules rule over one *measure slot* (``m17``); identical tests on
the same slot share one rule. Slots are packed into *chunks*: one fact per chunk and record carries the
measured values of all the chunk's slots, and every rule first matches the chunk number ``t``. Packing
is shaped by what was measured here (see ``benchmarks/README.md``):

* asserting a fact costs far more than testing a rule against it, so few wide facts beat many narrow ones;
* one fact may satisfy at most 64 sibling conditions (error 303): a chunk holds at most 60 rules;
* ``create_ruleset`` hangs forever with 512 or more distinct sibling values at one level: chunks are
  few, and the loader would have to exceed thousands of criteria to come near;
* a fact holds at most 255 properties (error 302): every slot carries at least one rule, so a chunk of at
  most 60 rules has at most 60 slots.

A value that is only partly known is sent more than once, each candidate in a fact of its own whose item
code ``i`` is ``record * 8 + candidate``: the low bound (candidate 0) and the high bound (1) of a partly
known total, or each value a derived fact allows; see ``_measures``.

Sessions
--------
Each evaluation gets a fresh session id and its own facts, asserted with ``assert_facts`` (``post`` lets
one event fire one rule only). A sentinel fact and rule guarantee that something fires, because deleting
a session in which nothing fired crashes; every pending firing is drained (completed) through the C
extension before ``delete_state``, because deleting with pending actions crashes; a ruleset allows at
most 1,024 live sessions, so no session outlives its evaluation. The engine's C code is not thread-safe
and never releases the GIL, so all calls go through one process-wide lock; processes (uvicorn workers,
batch workers) give parallelism. The Python ``durable.lang`` host is never created, so its timer threads
(behind segfaults and wrong answers under concurrency) never run.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as _dre

from ._errors import EngineError, RuleProblem, RuleSetError
from ._measures import MAX_ALTERNATIVES, UNBOUNDED, Alternatives, CompiledMeasure
from ._ruleset import RuleSet

__all__ = ["CANDIDATES", "Program", "encode_value"]

MAX_RULES_PER_CHUNK = 60
MAX_CHUNKS = 400
# create_ruleset failed (error 106) between 3,000 and 5,000 rules in probes on this engine version.
MAX_RULES = 3000
SENTINEL_RULE = "s"
CANDIDATES = MAX_ALTERNATIVES  # item codes per record: record * CANDIDATES + candidate

_LOCK = threading.Lock()
_SESSION_COUNTER = itertools.count(1)
_RULESET_COUNTER = itertools.count(1)
_FIRED = re.compile(r'^\{"([^"]+)":\s*\{"m":\s*\{"i":\s*(\d+)')


def encode_value(value: Any) -> str:
    """JSON for a measured value that durable-rules' parser accepts (it rejects ``1e-05`` and ``1e+30``)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value >= UNBOUNDED:
            return str(UNBOUNDED)
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text or "0"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_value(v) for v in value) + "]"
    raise EngineError(f"cannot send {type(value).__name__} to the engine")


# The rule set speaks neutral operators; this is durable-rules' syntax for them.
_ORDERING = {"at_least": "$gte", "more_than": "$gt", "at_most": "$lte", "less_than": "$lt"}


def _condition(prop: str, op: str, value: Any) -> list[dict[str, Any]]:
    """durable-rules conditions testing measure slot ``prop`` with a neutral operator (``engine.outcome.Op``)."""
    if op in _ORDERING:
        return [{_ORDERING[op]: {prop: value}}]
    if op == "is":
        return [{prop: bool(value)}]
    if op == "one_of":
        return [{prop: value[0]}] if len(value) == 1 else [{"$or": [{prop: v} for v in value]}]
    if op == "includes_any":
        # An `$or` of `$iany`s, never an `$iany` of an `$or`: durable-rules 2.0.28 reads an unset byte for the
        # latter (the forward node's right operand type) and then fails to compile now and then (error 102).
        anys = [{"$iany": {prop: {"$i": v}}} for v in value]
        return anys if len(anys) == 1 else [{"$or": anys}]
    if op == "includes_all":
        return [{"$iany": {prop: {"$i": v}}} for v in value]
    raise EngineError(f"unknown operator {op}")


@dataclass(frozen=True)
class Slot:
    index: int
    measure: CompiledMeasure
    chunk: int
    prop: str


_EXPONENT = re.compile(r"\d[eE][+-]?\d")


def _criterion_place(rules: RuleSet, crit_id: str) -> tuple[str, str]:
    """The rule file and key of a criterion (for problems found while compiling)."""
    for cred in rules.credentials.values():
        if crit_id.startswith(f"{cred.id}."):
            return cred.path, f"criteria.{crit_id.removeprefix(cred.id + '.')}.test"
    return "", ""


class Program:
    """One durable-rules ruleset holding every criterion of a rule set.

    Attributes:
        slots: measure slots, in property order.
        rule_of: (criterion id, version index) -> rule name.
        undecided_rule_of: (criterion id, version index) -> the rule of the values the source does not decide.
        slot_of: (criterion id, version index) -> the slot its rule reads.
    """

    def __init__(self, rules: RuleSet) -> None:
        measures: dict[str, CompiledMeasure] = {}
        tests: dict[str, list[tuple[str, int, tuple[tuple[str, Any], ...]]]] = {}
        for credential in rules.credentials.values():
            for crit in credential.criteria.values():
                sig = crit.measure.signature
                measures.setdefault(sig, crit.measure)
                for v_index, version in enumerate(crit.versions):
                    tests.setdefault(sig, []).append((crit.id, v_index, version.ops))
                    if version.undecided:  # values the source does not decide: a rule of their own
                        tests[sig].append((f"{crit.id}\x00undecided", v_index, version.undecided))

        # Distinct tests per measure. A measure with more distinct tests than a chunk may hold gets several
        # slots (the same value sent under several properties), each carrying at most a chunk's worth.
        distinct: dict[str, list[tuple[tuple[str, Any], ...]]] = {
            sig: list(dict.fromkeys(ops for _, _, ops in entries)) for sig, entries in tests.items()
        }
        total_rules = sum(len(ops) for ops in distinct.values())
        if total_rules > MAX_RULES:
            per_file: dict[str, int] = {}
            for entries in tests.values():
                for crit_id, _, _ in entries:
                    path = _criterion_place(rules, crit_id)[0]
                    per_file[path] = per_file.get(path, 0) + 1
            largest = ", ".join(f"{p} ({n})" for p, n in sorted(per_file.items(), key=lambda x: -x[1])[:3])
            raise RuleSetError(
                [
                    RuleProblem(
                        "",
                        "",
                        f"{total_rules} distinct tests; one durable-rules ruleset fails beyond {MAX_RULES}"
                        f" (most tests: {largest})",
                    )
                ]
            )

        self.slots: list[Slot] = []
        slot_of_test: dict[tuple[str, tuple[tuple[str, Any], ...]], Slot] = {}
        chunk_scope: list[str] = []
        chunk_rules: list[int] = []
        for sig in sorted(measures, key=lambda s: (measures[s].scope, s)):
            measure = measures[sig]
            ops_list = distinct.get(sig, [])
            groups = [ops_list[i : i + MAX_RULES_PER_CHUNK] for i in range(0, len(ops_list), MAX_RULES_PER_CHUNK)]
            for group in groups:
                fits = (
                    chunk_scope
                    and chunk_scope[-1] == measure.scope
                    and chunk_rules[-1] + len(group) <= MAX_RULES_PER_CHUNK
                )
                if not fits:
                    chunk_scope.append(measure.scope)
                    chunk_rules.append(0)
                chunk_rules[-1] += len(group)
                index = len(self.slots)
                slot = Slot(index, measure, len(chunk_scope) - 1, f"m{index}")
                self.slots.append(slot)
                for ops in group:
                    slot_of_test[(sig, ops)] = slot
        if len(chunk_scope) > MAX_CHUNKS:
            raise RuleSetError([RuleProblem("", "", f"{len(chunk_scope)} chunks exceed the engine's limit")])
        self.chunk_count = len(chunk_scope)

        definition: dict[str, Any] = {SENTINEL_RULE: {"all": [{"m": {"t": -1}}]}}
        rule_names: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}
        exponent: list[RuleProblem] = []
        self.rule_of: dict[tuple[str, int], str] = {}
        self.undecided_rule_of: dict[tuple[str, int], str] = {}
        self.slot_of: dict[tuple[str, int], Slot] = {}
        for sig, entries in tests.items():
            for crit_id, v_index, ops in entries:
                slot = slot_of_test[(sig, ops)]
                name = rule_names.get((sig, ops))
                if name is None:
                    name = f"r{len(rule_names)}"
                    rule_names[(sig, ops)] = name
                    conditions: list[dict[str, Any]] = [{"t": slot.chunk}]
                    for op, value in ops:
                        conditions.extend(_condition(slot.prop, op, value))
                    if _EXPONENT.search(json.dumps(conditions, separators=(",", ":"))):
                        path, key = _criterion_place(rules, crit_id.split("\x00")[0])
                        exponent.append(
                            RuleProblem(path, key, "a threshold needs exponent notation; durable-rules rejects it")
                        )
                    definition[name] = {"all": [{"m": {"$and": conditions}}]}
                if crit_id.endswith("\x00undecided"):
                    self.undecided_rule_of[(crit_id.split("\x00")[0], v_index)] = name
                    continue
                self.rule_of[(crit_id, v_index)] = name
                self.slot_of[(crit_id, v_index)] = slot
        self.rule_count = len(rule_names)
        if exponent:
            raise RuleSetError(exponent)
        text = json.dumps(definition, separators=(",", ":"))
        self.definition = definition
        self.name = f"credcheck-{rules.digest[:12]}-{next(_RULESET_COUNTER)}"
        with _LOCK:
            self._handle = _dre.create_ruleset(self.name, text)

    @staticmethod
    def facts(slots: Iterable[Slot], values: dict[int, tuple[Any, Any, tuple[str, ...]]], record: int) -> list[str]:
        """One record's measured values as facts: one per chunk and candidate. Candidate 0 holds every known
        value and every low bound, candidate 1 the high bounds, candidates 0..n-1 the values a derived fact
        allows; the item code ``i`` is ``record * CANDIDATES + candidate``."""
        parts: dict[tuple[int, int], list[str]] = {}
        for slot in slots:
            lo, hi, _ = values[slot.index]
            if lo is None:
                continue
            if type(lo) is Alternatives:
                for j, value in enumerate(lo.values):
                    parts.setdefault((j, slot.chunk), []).append(f'"{slot.prop}":{encode_value(value)}')
                continue
            parts.setdefault((0, slot.chunk), []).append(f'"{slot.prop}":{encode_value(lo)}')
            if hi != lo:
                parts.setdefault((1, slot.chunk), []).append(f'"{slot.prop}":{encode_value(hi)}')
        base = record * CANDIDATES
        return [f'{{"i":{base + j},"t":{chunk},' + ",".join(props) for (j, chunk), props in parts.items()]

    def run(self, facts: Iterable[str]) -> set[tuple[str, int]]:
        """Assert ``facts`` (JSON objects without their closing brace) in a new session.

        Returns:
            The (rule name, item code) pairs that fired, sentinel excluded.
        """
        with _LOCK:
            sid = f"e{next(_SESSION_COUNTER)}"
            tail = f',"sid":"{sid}"}}'
            payload = "[" + ",".join([f'{{"t":-1{tail}', *(f + tail for f in facts)]) + "]"
            handle = self._handle
            try:
                result = _dre.assert_facts(handle, payload)
            except _dre.error as exc:  # pragma: no cover - facts are generated and validated by us
                self._abandon(sid)
                raise EngineError(f"durable-rules refused the facts: {exc}") from None
            state = result[1]
            fired: set[tuple[str, int]] = set()
            try:
                started = _dre.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    match = _FIRED.match(message)
                    if match is None:
                        name = next(iter(json.loads(message)))
                        if name != SENTINEL_RULE:  # pragma: no cover - defensive
                            raise EngineError(f"unexpected firing {message[:200]}")
                    else:
                        fired.add((match.group(1), int(match.group(2))))
                    message = _dre.complete_and_start_action(handle, state)
            finally:
                _dre.delete_state(handle, sid)
            return fired

    def _abandon(self, sid: str) -> None:  # pragma: no cover - defensive
        """Drain whatever is pending after a failed assert so the session can be deleted safely."""
        try:
            while True:
                started = _dre.start_action(self._handle)
                if not started:
                    break
                while _dre.complete_and_start_action(self._handle, started[2]):
                    pass
            _dre.delete_state(self._handle, sid)
        except _dre.error:
            pass
