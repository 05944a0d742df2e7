"""Sentences from outcomes, in the reader's language.

The engine's outcomes are data; this module is the only place that turns them into words. Every sentence
is a message of the ``messages`` catalogue (``api/locale/<lang>/LC_MESSAGES/messages.po``; the English text
is the message id), with numbers formatted and plurals chosen for the language; the rule files' own text
(labels, notes, reasons) comes from the rule set's catalogues (``api.rules_text``).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from babel.dates import format_date

from engine import (
    Action,
    Assumption,
    Cause,
    CriterionOutcome,
    Measured,
    Need,
    Op,
    Requirement,
    Rulebook,
    Shortfall,
    Status,
    Step,
    TimeSpan,
    Unit,
    Why,
    Window,
)

from .i18n import Catalogue, catalogue
from .rules_text import RuleText

__all__ = ["Renderer", "renderer"]


def _(message: str) -> str:
    """Marks a message for extraction; the catalogue translates it when it is rendered."""
    return message


def N_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - the gettext convention
    """Marks a message with a plural form for extraction (``ngettext`` chooses when it is rendered)."""
    return singular, plural


# Units, singular and plural (the catalogue's plural rules choose).
_UNITS: dict[Unit, tuple[str, str]] = {
    Unit.YEARS: N_("{n} year", "{n} years"),
    Unit.MONTHS: N_("{n} month", "{n} months"),
    Unit.DAYS: N_("{n} day", "{n} days"),
    Unit.WEEKS: N_("{n} week", "{n} weeks"),
    Unit.HOURS: N_("{n} hour", "{n} hours"),
    Unit.SEMESTER_HOURS: N_("{n} semester hour", "{n} semester hours"),
    Unit.PERCENT: N_("{n} percent", "{n} percent"),
    Unit.VENIPUNCTURES: N_("{n} venipuncture", "{n} venipunctures"),
    Unit.CAPILLARY_PUNCTURES: N_("{n} capillary puncture", "{n} capillary punctures"),
    Unit.EKGS: N_("{n} EKG", "{n} EKGs"),
    Unit.INJECTIONS: N_("{n} injection", "{n} injections"),
    Unit.ARTERIAL_PUNCTURES: N_("{n} arterial puncture", "{n} arterial punctures"),
}

_ORDER = {
    Op.AT_LEAST: _("at least {value}"),
    Op.MORE_THAN: _("more than {value}"),
    Op.AT_MOST: _("at most {value}"),
    Op.LESS_THAN: _("less than {value}"),
}


_MEMO = 8192  # sentences kept per renderer for each kind memoized (shortfalls, steps, labels)


class Renderer:
    """Renders outcomes of one rule book in one language."""

    def __init__(self, book: Rulebook, language: str) -> None:
        self.book = book
        self.language = language
        self.messages: Catalogue = catalogue(language, "messages")
        self.text = RuleText(book.rules, language)
        self.vocabularies = book.rules.vocabularies
        self.credentials = book.rules.credentials
        # Guidance's sentences recur between applicants (the same shortfall of the same criterion): each
        # renderer (one per rule book and language) keeps the latest few thousand, keyed by the typed value.
        self.shortfall_sentence = functools.lru_cache(maxsize=_MEMO)(self._shortfall_sentence)
        self.step = functools.lru_cache(maxsize=_MEMO)(self._step)
        self.criterion_text = functools.lru_cache(maxsize=_MEMO)(self._criterion_text)
        self.route_text = functools.lru_cache(maxsize=_MEMO)(self._route_text)

    # ------------------------------------------------------------------ values

    def t(self, message: str, **values: Any) -> str:
        return self.messages.gettext(message).format(**values)

    def number(self, value: float) -> str:
        return self.messages.number(value)

    def quantity(self, value: float, unit: Unit | None) -> str:
        if unit is None:
            return self.number(value)
        singular, plural = _UNITS[unit]
        return self.messages.ngettext(singular, plural, value).format(n=self.number(value))

    def span(self, span: TimeSpan) -> str:
        parts = [
            self.quantity(n, unit)
            for n, unit in ((span.years, Unit.YEARS), (span.months, Unit.MONTHS), (span.days, Unit.DAYS))
            if n
        ]
        return " ".join(parts) if parts else self.quantity(0, Unit.DAYS)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.messages.locale)

    def code(self, vocabulary: str | None, code: Any) -> str:
        """A vocabulary value as people read it: a credential by its designation, an accreditor by its
        acronym, anything else by its label in the vocabulary."""
        if isinstance(code, bool):
            return self.t(_("yes")) if code else self.t(_("no"))
        if vocabulary is None:
            return str(code)
        if vocabulary == "credential":
            cred = self.credentials.get(code)
            if cred is not None:
                return cred.designation
            vocabulary = "other_credential"
        if vocabulary == "accreditor" and code not in ("other", "none"):
            return str(code)
        label = self.vocabularies[vocabulary].values.get(code)
        if label is None:
            return str(code)
        return self.text.get("vocabulary.yaml", f"{vocabulary}.values.{code}", label)

    def codes(self, vocabulary: str | None, codes: Any) -> str:
        if not codes:
            return self.t(_("none"))
        return self.messages.list([self.code(vocabulary, c) for c in codes])

    # ------------------------------------------------------------------ requirements

    def requirement(self, req: Requirement) -> str:
        """What is required, e.g. "at least 720 hours", "CAAHEP or ABHES", "at most 4 years (on or after
        November 23, 2022)"."""
        op = req.op
        if op in _ORDER:
            text = self._bound(op, req.value, req)
            if req.also is not None:
                second = self._bound(req.also.op, req.also.value, req)
                text = self.t(_("{first} and {second}"), first=text, second=second)
        elif op == Op.IS:
            text = self.code(None, bool(req.value))
        elif op == Op.ONE_OF:
            text = self.messages.list([self.code(req.vocabulary, v) for v in req.values], "or")
        elif op == Op.INCLUDES_ANY:
            values = self.messages.list([self.code(req.vocabulary, v) for v in req.values], "or")
            text = self.t(_("includes {values}"), values=values)
        else:
            text = self.t(_("includes {values}"), values=self.codes(req.vocabulary, req.values))
        if req.window is not None and req.window.field != "work_experience":
            text = self.t(_("{requirement} ({window})"), requirement=text, window=self.window(req.window))
        return text

    def _bound(self, op: Op, value: Any, req: Requirement) -> str:
        shown = self.code(req.vocabulary, value) if req.vocabulary else self.quantity(value, req.unit)
        return self.t(_ORDER[op], value=shown)

    def window(self, window: Window) -> str:
        if window.start and window.end:
            return self.t(_("between {start} and {end}"), start=self.date(window.start), end=self.date(window.end))
        if window.start:
            return self.t(_("on or after {date}"), date=self.date(window.start))
        assert window.end is not None
        return self.t(_("on or before {date}"), date=self.date(window.end))

    # ------------------------------------------------------------------ measured values

    def measured(self, outcome: CriterionOutcome) -> str | None:
        """The applicant's value as the explanation shows it, or why there is none."""
        m = outcome.measured
        if m is None:
            if outcome.why == Why.NO_RECORDS:
                listed = outcome.definition.measure.scope
                return self.t(_("no programs listed")) if listed == "program" else self.t(_("no degrees listed"))
            return None
        if m.alternatives:
            return self.t(
                _("one of {values} (derived from another fact)"),
                values=self.messages.list([self.code(m.vocabulary, v) for v in m.alternatives], "or"),
            )
        time = outcome.definition.measure.time
        if isinstance(m.low, TimeSpan):
            return self._time(m.low, time)
        if outcome.definition.measure.inputs == ("birth_date",):
            return self.t(_("{age} old"), age=self.quantity(m.low, Unit.YEARS))
        if m.exact:
            return self._value(m, m.low)
        if m.high is None:
            return self.t(_("at least {low}; the rest is not known"), low=self._value(m, m.low))
        return self.t(_("{low} for certain, up to {high}"), low=self._value(m, m.low), high=self._value(m, m.high))

    def _value(self, m: Measured, value: Any) -> str:
        if isinstance(value, tuple):
            return self.codes(m.vocabulary, value)
        if isinstance(value, bool) or m.vocabulary is not None:
            return self.code(m.vocabulary, value)
        return self.quantity(value, m.unit)

    def _time(self, span: TimeSpan, time: str | None) -> str:
        text = self.span(span)
        if time == "since":
            message = _("in {time} (not yet reached)") if span.negative else _("{time} ago")
            return self.t(message, time=text)
        if time == "until":
            return self.t(_("passed {time} ago") if span.negative else _("in {time}"), time=text)
        if not (span.years or span.months or span.days):
            return self.t(_("none"))
        return self.t(_("{time} earlier"), time=text) if span.negative else self.t(_("{time} later"), time=text)

    # ------------------------------------------------------------------ criteria

    def criterion_label(self, outcome: CriterionOutcome) -> str:
        crit = outcome.definition
        cred = self.credentials[crit.credential_id]
        return self.text.get(cred.path, f"criteria.{crit.key}.label", crit.label)

    def message(self, outcome: CriterionOutcome) -> str:
        """The criterion's explanation in one sentence."""
        label = self.criterion_label(outcome)
        actual = self.measured(outcome)
        if outcome.status == Status.MET:
            if actual is None:
                return self.t(_("Met: {label}."), label=label)
            return self.t(_("Met: {label} (yours: {actual})."), label=label, actual=actual)
        if outcome.status == Status.UNMET:
            required = self.requirement(outcome.requirement)
            if actual is None:
                return self.t(_("Not met: {label}. Required: {required}."), label=label, required=required)
            message = _("Not met: {label}. Required: {required}; yours: {actual}.")
            return self.t(message, label=label, required=required, actual=actual)
        if outcome.why in (Why.REQUIREMENT_NOT_STATED, Why.SOURCE_UNDECIDED):
            crit = outcome.definition
            if outcome.why == Why.REQUIREMENT_NOT_STATED:
                cred = self.credentials[crit.credential_id]
                why = self.text.get(cred.path, f"criteria.{crit.key}.incomplete", crit.incomplete or "")
            else:
                why = self.t(_("The source does not say whether this counts."))
            if actual is None:
                return self.t(_("Unknown: {label}. {why}"), label=label, why=why)
            return self.t(_("Unknown: {label} (yours: {actual}). {why}"), label=label, actual=actual, why=why)
        inputs = self.messages.list(list(outcome.missing)) if outcome.missing else self.t(_("more information"))
        if actual is None:
            return self.t(_("Unknown: {label}. Needs {inputs} to decide."), label=label, inputs=inputs)
        message = _("Unknown: {label}. Needs {inputs} to decide. What is known: {actual}.")
        return self.t(message, label=label, inputs=inputs, actual=actual)

    # ------------------------------------------------------------------ guidance

    def _criterion_text(self, criterion_id: str) -> str:
        """A criterion's label, by id."""
        credential, key = criterion_id.rsplit(".", 1)
        cred = self.credentials[credential]
        crit = cred.criteria[key]
        return self.text.get(cred.path, f"criteria.{key}.label", crit.label)

    def _route_text(self, route_id: str) -> str:
        """A route's label, by id."""
        credential, key = route_id.rsplit(".", 1)
        cred = self.credentials[credential]
        route = next(r for r in cred.routes if r.key == key)
        return self.text.get(cred.path, f"routes.{key}.label", route.label)

    def shortfall(self, s: Shortfall) -> str:
        """What a criterion still needs, in a few words: "2 semester hours more", "immunology"."""
        if s.cause is not None:
            return self.t(_CAUSES[s.cause])
        if s.need == Need.MORE and s.amount is not None:
            amount = self.quantity(s.amount, s.unit)
            return self.t(_("more than {amount} more") if s.strict else _("{amount} more"), amount=amount)
        if s.need == Need.LESS and s.amount is not None:
            return self.t(_("{amount} over the maximum"), amount=self.quantity(s.amount, s.unit))
        if s.need == Need.WAIT:
            return self.t(_("from {date}"), date=self.date(s.on)) if s.on else self.t(_("in time"))
        if s.need == Need.ALL_OF:
            values = self.messages.list([self.code(s.vocabulary, v) for v in s.values])
            return self.t(_("still missing: {values}"), values=values)
        if s.need in (Need.ONE_OF, Need.FLAG):
            values = self.messages.list([self.code(s.vocabulary, v) for v in s.values], "or")
            return self.t(_("needed: {values}"), values=values)
        if s.need == Need.RECORD:
            return self.t(_("a program or degree that meets it"))
        if s.need == Need.INPUTS:
            return self.t(_("tell us: {inputs}"), inputs=self.messages.list(list(s.inputs)))
        return self.t(_("the certifying body's word on your answer"))

    def _shortfall_sentence(self, s: Shortfall) -> str:
        """A shortfall with its criterion: "At least 6 semester hours of biology: 2 semester hours more"."""
        return self.t(_("{label}: {what}"), label=self.criterion_text(s.criterion), what=self.shortfall(s))

    def assumptions(self, assumptions: tuple[Assumption, ...]) -> str:
        """ " if your program ends as planned" and the like, or nothing."""
        parts = [self.t(_ASSUMPTIONS[a]) for a in assumptions]
        return self.t(_(" (if {conditions})"), conditions=self.messages.list(parts)) if parts else ""

    def _step(self, step: Step, credential: str) -> str:
        """One next step, as a sentence a student can act on."""
        cred = self.credentials[credential]
        body = cred.body_name
        route = self.route_text(step.route) if step.route else ""
        s = step.shortfall
        label = self.criterion_text(s.criterion) if s else ""
        if step.action == Action.APPLY:
            if step.on:
                return self.t(
                    _("You meet “{route}”: apply by {date}, the last day it is open to you."),
                    route=route,
                    date=self.date(step.on),
                )
            return self.t(_("You meet “{route}”: you can apply now."), route=route)
        if step.action == Action.WAIT and s is None:
            return self.t(
                _("From {date} you meet “{route}”{assumptions}."),
                date=self.date(step.on),
                route=route,
                assumptions=self.assumptions(step.assumptions),
            )
        if step.action == Action.CHECK:
            if step.on:  # a route that opens ahead, when the applicant meets what is known of it
                return self.t(
                    _("From {date}, ask {body} about “{route}”{assumptions}: this service does not check that route."),
                    date=self.date(step.on),
                    body=body,
                    route=route,
                    assumptions=self.assumptions(step.assumptions),
                )
            return self.t(
                _("Ask {body} about “{route}”: this service does not check that route."), body=body, route=route
            )
        if step.action == Action.NONE:
            return self.t(_("No route {body} offers can be met with the facts given."), body=body)
        assert s is not None
        if step.action == Action.WAIT:
            if s.on:
                return self.t(_("Wait until {date}: {label}."), date=self.date(s.on), label=label)
            return self.t(_("Wait: {label}."), label=label)
        if step.action == Action.GIVE:
            inputs = self.messages.list(list(s.inputs))
            return self.t(_("Tell us {inputs} to decide “{label}”."), inputs=inputs, label=label)
        if step.action == Action.CONFIRM:
            return self.t(_("Ask {body} whether your answer counts for “{label}”."), body=body, label=label)
        if step.action == Action.ADD:
            what = self.shortfall(s)
            if s.on:
                return self.t(
                    _("{label}: {what}; at your current job, by {date}."), label=label, what=what, date=self.date(s.on)
                )
            return self.t(_("{label}: {what}."), label=label, what=what)
        return self.t(_("{label}: {what}."), label=label, what=self.shortfall(s))


_CAUSES = {
    Cause.WINDOW_CLOSED: _("its time limit has passed"),
    Cause.FIXED_FACT: _("it rests on a fact that cannot change"),
    Cause.OWN_CREDENTIAL: _("it is for those who already hold this credential"),
}
_ASSUMPTIONS = {
    Assumption.PROGRAM_COMPLETES: _("your program ends on its expected date"),
    Assumption.WORK_CONTINUES: _("you keep working as you do now"),
}


@functools.lru_cache(maxsize=16)
def renderer(book: Rulebook, language: str) -> Renderer:
    """The renderer of a rule book in a language (one per pair, kept while the rule book is served)."""
    return Renderer(book, language)
