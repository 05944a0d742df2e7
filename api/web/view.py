"""What the page shows, as plain data: every piece of an answer the templates render comes from here.

:func:`answer_view` is the one place an evaluation becomes page content. It reads the API's own answer
(``api.serialize`` at ``detail: full``, whose sentences come from the message catalogues in the page's
language), so the page and the API never explain differently; the templates read the keys documented in
:func:`answer_view` and nothing else.

Text that is not the page's own carries its language (``{"text": ..., "lang": ...}``), so a Spanish page
marks any English rule text as English (WCAG 3.1.2) where the rule set has no Spanish for it.

The labels of vocabulary values (disciplines, accreditors, roles...) and other rule text come from the rule
set; :func:`vocab_label` and :func:`rule_text` are the only ways to them, so the rule set's own catalogue can
be plugged in there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from babel.support import NullTranslations

from api.i18n import LANGUAGES, catalogue
from api.rules_text import RuleText
from api.schemas import Detail
from api.serialize import serializer
from engine import FieldPath

from .form import FIELDS_BY_NAME, N_, SECTIONS_BY_KEY, anchor

__all__ = ["answer_view", "options", "rule_text", "verification_view", "vocab_label"]

# The language the rule files are written in.
RULES_LANGUAGE = "en"


def _messages_language(language: str) -> str:
    """The language the explanations come in: the page's when its message catalogue is there."""
    translated = type(catalogue(language, "messages").translations) is not NullTranslations
    return language if language == RULES_LANGUAGE or translated else RULES_LANGUAGE


def _rules_language(book: Any, language: str) -> str:
    """The language the rule set's text comes in for a page in ``language``: its own where translated."""
    return language if language == RULES_LANGUAGE or book.rules.translations.get(language) else RULES_LANGUAGE


def _page(language: str) -> Any:
    return catalogue(language, "page")


def rule_text(book: Any, text: str | None, language: str) -> dict[str, str] | None:
    """A piece of the rule set's human text, already in the answer's language (the serializer and
    :func:`vocab_label` translate it), marked with the language it is in."""
    if text is None:
        return None
    return {"text": text, "lang": _rules_language(book, language)}


def vocab_label(book: Any, vocabulary: str, value: str, language: str) -> dict[str, str]:
    """How people read a vocabulary value: its description in ``rules/vocabulary.yaml`` (``CAAHEP`` ->
    "Commission on Accreditation of Allied Health Education Programs"), in ``language`` when the rule set
    translates it. ``vocabulary="credential"`` labels anything ``certifications[].credential`` accepts."""
    rules = book.rules
    if vocabulary == "credential":
        cred = rules.credentials.get(value)
        if cred is not None:
            return rule_text(book, f"{cred.designation}: {cred.name}", language) or {"text": value, "lang": "en"}
        vocabulary = "other_credential"
    if vocabulary == "us_state":
        state = rules.states.get(value)
        english = rules.vocabularies["us_state"].values.get(value, value)
        text = RuleText(rules, language)
        if state is not None:
            name = text(state.path, "name", state.name)
        else:  # a territory without a state file: its name in the vocabulary's catalogue
            name = text.get("vocabulary.yaml", f"us_state.values.{value}", english)
        return rule_text(book, name, language) or {}
    vocab = rules.vocabularies.get(vocabulary)
    text = vocab.values.get(value) if vocab is not None else None
    if text is not None:
        text = RuleText(rules, language).get("vocabulary.yaml", f"{vocabulary}.values.{value}", text)
    return rule_text(book, text or value, language) or {"text": value, "lang": RULES_LANGUAGE}


def options(book: Any, vocabulary: str, language: str) -> list[dict[str, Any]]:
    """The choices of a question, in the rule set's order: ``[{"value", "label": {"text", "lang"}, "group"}]``;
    ``group`` tells the credentials this service checks (``checked``) from the others (``other``)."""
    rules = book.rules
    if vocabulary == "credential":
        values = list(rules.credentials) + list(rules.vocabularies["other_credential"].values)
    else:
        values = list(rules.vocabularies[vocabulary].values)
    return [
        {
            "value": v,
            "label": vocab_label(book, vocabulary, v, language),
            "group": "checked" if v in rules.credentials else "other",
        }
        for v in values
    ]


_VERIFICATION = {
    ("official", "high"): ("official", N_("Official source")),
    ("official", "medium"): ("official-uncertain", N_("Official source; some details are uncertain")),
    ("official", "low"): ("provisional", N_("Provisional: from an official source we could not fully confirm")),
    ("secondary", "high"): (
        "secondary",
        N_("This rule comes from a secondary source, not the certifying body. Confirm it with them."),
    ),
    ("secondary", "medium"): (
        "secondary",
        N_("This rule comes from a secondary source, not the certifying body. Confirm it with them."),
    ),
    ("secondary", "low"): (
        "provisional",
        N_("Provisional: this rule comes from a secondary source we could not confirm."),
    ),
}


_PROVISIONAL = N_(
    "Provisional: this rule comes from a source that is partial or has been replaced. Confirm it with the "
    "certifying body."
)


def verification_view(book: Any, verification: dict[str, Any], language: str) -> dict[str, Any]:
    """How firm a rule is, in words: ``{"source", "confidence", "provisional", "level", "text", "note"}``;
    ``level`` is one of ``official``, ``official-uncertain``, ``secondary``, ``provisional`` (a style hook)."""
    level, message = _VERIFICATION[(verification["source"], verification["confidence"])]
    if verification.get("provisional"):
        level, message = "provisional", _PROVISIONAL
    return {
        "source": verification["source"],
        "confidence": verification["confidence"],
        "provisional": bool(verification.get("provisional")),
        "level": level,
        "text": _page(language).gettext(message),
        "note": rule_text(book, verification.get("note"), language),
    }


def _citation(book: Any, citation: dict[str, Any], language: str) -> dict[str, Any]:
    page = _page(language)
    official = citation["source_kind"] == "official"
    return {
        "title": rule_text(book, citation["title"], language),
        "url": citation["url"],
        "pinpoint": rule_text(book, citation.get("pinpoint"), language),
        "kind": citation["source_kind"],
        "kind_text": page.gettext(N_("official source") if official else N_("secondary source")),
        "retrieved": _date(citation["retrieved"], language),
    }


def _date(iso: str | None, language: str) -> str | None:
    if not iso:
        return None
    return format_date(dt.date.fromisoformat(iso), format="long", locale=LANGUAGES[language])


_CRITERION_STATUS = {"met": N_("Met"), "unmet": N_("Not met"), "unknown": N_("Not known yet")}
_VERDICT = {
    "eligible": N_("You can apply"),
    "ineligible": N_("Not yet"),
    "undetermined": N_("We need more information"),
}


def input_view(path: str, language: str) -> dict[str, Any]:
    """An input an answer asks for (``programs[0].approvals``), as the form's question and a link to it."""
    page = _page(language)
    try:
        parts = FieldPath.parse_api(path).parts
    except ValueError:
        parts = ()
    if len(parts) == 1 and ("about", parts[0]) in FIELDS_BY_NAME:  # a top-level fact: birth_date
        return {"path": path, "label": page.gettext(FIELDS_BY_NAME["about", parts[0]].label), "anchor": anchor(path)}
    section = SECTIONS_BY_KEY.get(parts[0]) if parts and isinstance(parts[0], str) else None
    if section is None:
        return {"path": path, "label": path, "anchor": None}
    label = page.gettext(section.title)
    f = FIELDS_BY_NAME.get((section.key, parts[-1])) if len(parts) > 1 else None
    if f is not None:
        label = f"{label}: {page.gettext(f.label)}"
        row = parts[1]
        if section.repeated and len(parts) > 2 and isinstance(row, int) and section.row_title:
            label += f" ({page.gettext(section.row_title) % {'number': row + 1}})"
    return {"path": path, "label": label, "anchor": anchor(path)}


def _criterion(book: Any, c: dict[str, Any], language: str) -> dict[str, Any]:
    page = _page(language)
    return {
        "id": c["id"],
        "status": c["status"],
        "status_text": page.gettext(_CRITERION_STATUS[c["status"]]),
        "label": rule_text(book, c["label"], language),
        # The explanation, rendered by the API's renderer in the page's language (English where the message
        # catalogue has no translation yet).
        "text": {"text": c["message"], "lang": _messages_language(language)},
        "required": c["required"],
        "actual": c["actual"],
        "inputs": [input_view(p, language) for p in c.get("missing_inputs") or ()],
        "citations": [_citation(book, x, language) for x in c["citations"]],
        "verification": verification_view(book, c["verification"], language),
    }


def _route(book: Any, r: dict[str, Any], language: str) -> dict[str, Any]:
    criteria = [_criterion(book, c, language) for c in r["criteria"]]
    return {
        "id": r["id"],
        "label": rule_text(book, r["label"], language),
        "status": r["status"],
        "status_text": _page(language).gettext(_CRITERION_STATUS[r["status"]]),
        "verification": verification_view(book, r["verification"], language),
        # "full": every requirement is a rule; "gate"/"none": only some or none could be sourced (never met)
        "coverage": r["coverage"],
        "reason": rule_text(book, r.get("reason"), language),
        "citations": [_citation(book, x, language) for x in r.get("citations", [])],
        # requirements only secondary sources state: shown with their status, they decide nothing
        "cautions": [_criterion(book, c, language) for c in r.get("cautions", [])],
        "criteria": criteria,
        "unmet": [c for c in criteria if c["status"] == "unmet"],
        "unknown": [c for c in criteria if c["status"] == "unknown"],
        "met": [c for c in criteria if c["status"] == "met"],
        "not_evaluated": [
            {
                "text": rule_text(book, n["text"], language),
                "citations": [_citation(book, x, language) for x in n["citations"]],
            }
            for n in r["not_evaluated"]
        ],
        # What this route still lacks ("At least 6 semester hours of biology: 2 semester hours more").
        "shortfalls": [
            {"text": s["text"], "lang": _messages_language(language), "cause": s.get("cause")}
            for s in r.get("shortfalls") or ()
        ],
    }


_REASONS = {
    "missing-inputs": N_("Some facts are missing: the answers listed below would decide it."),
    "unencoded-route": N_(
        "Some of its routes could not be written as rules from the sources, so we cannot rule them out."
    ),
    "requirement-not-stated": N_("The full terms of a requirement are not published."),
    "source-undecided": N_("The source does not say whether your answer counts."),
}


def _credential(book: Any, c: dict[str, Any], summary: dict[str, Any] | None, language: str) -> dict[str, Any]:
    page = _page(language)
    routes = [_route(book, r, language) for r in c["routes"]]
    by_id = {r["id"]: r for r in routes}
    nearest_id = summary.get("nearest_route") if summary and c["status"] != "eligible" else None
    nearest = by_id.get(nearest_id) if nearest_id else None
    met = [r for r in routes if r["status"] == "met"]
    shown = met or ([nearest] if nearest else [])
    # Cautions of the routes the answer is about (met, else the nearest): evaluated, deciding nothing.
    cautions = list({crit["id"]: crit for r in shown for crit in r["cautions"]}.values())
    # Deciding requirements of a met route that rest on secondary or provisional sources only.
    secondary = [
        crit
        for r in met
        for crit in r["criteria"]
        if crit["verification"]["source"] == "secondary" or crit["verification"]["level"] == "provisional"
    ]
    status = c["status"]
    encoded = [r for r in routes if r["coverage"] == "full"]
    not_encoded = status == "undetermined" and not encoded
    return {
        "id": c["id"],
        "designation": c["designation"],
        "name": rule_text(book, c["name"], language),
        "body": {"name": rule_text(book, c["body"]["name"], language), "url": c["body"]["url"]},
        "status": status,
        "status_text": page.gettext(_VERDICT[status]),
        "verification": verification_view(book, c["verification"], language),
        "routes": routes,
        "routes_met": met,
        "routes_open": [r for r in routes if r["status"] != "met" and r is not nearest and r["coverage"] == "full"],
        "nearest_route": nearest,
        "inputs_needed": [input_view(p, language) for p in c["inputs_needed"]],
        "undetermined_reasons": [
            {"code": code, "text": page.gettext(_REASONS[code]) if code in _REASONS else code}
            for code in c.get("undetermined_reasons", [])
        ],
        "cautions": cautions,
        "secondary": secondary,
        "not_encoded": not_encoded,
        # routes the sources mention whose requirements could not all be written as rules
        "unencoded_routes": [r for r in routes if r["coverage"] != "full" and r is not nearest],
        # The first and last dates the applicant could apply on, and what to do next.
        "eligible_from": _date(c.get("eligible_from"), language),
        "eligible_until": _date(c.get("eligible_until"), language),
        "next_steps": [_step(s, language, c.get("shortfalls") or ()) for s in c.get("next_steps") or ()],
    }


def _step(step: dict[str, Any], language: str, shortfalls: Any) -> dict[str, Any]:
    """A next step; one that asks for facts names the form's questions rather than the API's field paths
    (the inputs of its criteria's shortfalls)."""
    settles = set(step["criteria"])
    inputs = [p for s in shortfalls if s["criterion"] in settles for p in s.get("inputs") or ()]
    if step["action"] == "give" and inputs:
        questions = [input_view(p, language)["label"] for p in dict.fromkeys(inputs)]
        text = _page(language).gettext(N_("Answer these questions: %(questions)s.")) % {
            "questions": "; ".join(questions)
        }
        return {"text": text, "lang": language, "action": step["action"]}
    return {"text": step["text"], "lang": _messages_language(language), "action": step["action"]}


def _state(book: Any, state: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    if state is None:
        return None
    page = _page(language)
    kinds = {
        "license": N_("State license"),
        "certification": N_("State certification"),
        "registration": N_("State registration"),
        "permit": N_("State permit"),
        "exempt": N_("Exemption"),
        "no-state-requirement": N_("No state requirement"),
        "informational": N_("Good to know"),
    }
    notes = []
    for n in state["notes"]:
        effective = n.get("effective") or {}
        notes.append(
            {
                "id": n["id"],
                "title": rule_text(book, n["title"], language),
                "kind": n["kind"],
                "kind_text": page.gettext(kinds[n["kind"]]) if n["kind"] in kinds else n["kind"],
                "summary": rule_text(book, n["summary"], language),
                "accepts": [vocab_label(book, "credential", a, language) for a in n["accepts"]],
                "citations": [_citation(book, x, language) for x in n["citations"]],
                "verification": verification_view(book, n["verification"], language),
                "effective_from": _date(effective.get("from"), language),
                "effective_to": _date(effective.get("to"), language),
            }
        )
    return {
        "code": state["code"],
        "name": vocab_label(book, "us_state", state["code"], language),
        "researched": state["researched"],
        "summary": rule_text(book, state.get("summary"), language),
        "notes": notes,
    }


def _resolve(answer: dict[str, Any]) -> dict[str, Any]:
    """The API's answer with what it lists once by key put back in place: each criterion, route and note
    carries its label, requirement, citations and verification level (the page shows them side by side)."""
    defs, sources, levels = answer["definitions"], answer["sources"], answer["verifications"]

    def cites(refs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [{**sources[ref["source"]], "pinpoint": ref["pinpoint"]} for ref in refs or ()]

    def criterion(c: dict[str, Any]) -> dict[str, Any]:
        d = defs["criteria"][c["id"]]
        return {
            **c,
            "label": d["label"],
            "required": c.get("required_text"),
            "actual": c.get("measured_text"),
            "citations": cites(d["cite"]),
            "verification": levels[d["verification"]],
        }

    credentials = []
    for cred in answer["credentials"]:
        routes = []
        for r in cred["routes"] or ():
            d = defs["routes"][r["id"]]
            routes.append(
                {
                    **r,
                    "label": d["label"],
                    "verification": levels[d["verification"]],
                    "reason": d.get("reason"),
                    "citations": cites(d.get("cite")),
                    "not_evaluated": [
                        {"text": n["text"], "citations": cites(n["cite"])} for n in d.get("not_evaluated") or ()
                    ],
                    "criteria": [criterion(c) for c in r["criteria"]],
                    "cautions": [criterion(c) for c in r["cautions"]],
                }
            )
        credentials.append({**cred, "verification": levels[cred["verification"]], "routes": routes})
    state = answer["state"]
    if state is not None:
        state = {
            **state,
            "notes": [
                {**n, "citations": cites(n["cite"]), "verification": levels[n["verification"]]} for n in state["notes"]
            ],
        }
    return {**answer, "credentials": credentials, "state": state}


def answer_view(evaluation: Any, language: str, *, book: Any) -> dict[str, Any]:
    """Everything an answer page shows, from one evaluation, in ``language``.

    Keys (the templates read these and nothing else)::

        as_of, as_of_text          the evaluation date (ISO, and as people write it)
        rules                      {"name", "version", "id"} of the rule set
        eligible, undetermined, ineligible
                                   credential views, in the rule set's order
        counts                     {"eligible", "undetermined", "ineligible"}
        state                      None, or {"code", "name", "researched", "summary", "notes": [...]}
        rules_language             the language rule text is in when it is not the page's

    A credential view: ``id, designation, name, body {name, url}, status, status_text, verification,
    routes, routes_met, routes_open, nearest_route, inputs_needed, undetermined_reasons, cautions, secondary,
    not_encoded, unencoded_routes, eligible_from, eligible_until, next_steps``. A route: ``id, label, status,
    status_text, verification, coverage, reason, citations, cautions, criteria, unmet, unknown, met,
    not_evaluated, shortfalls``. A criterion: ``id, status, status_text, label, text, required, actual, inputs,
    citations, verification``. Text from the rules is ``{"text", "lang"}``.
    """
    data = _resolve(serializer(book).eligibility(evaluation, detail=Detail.FULL, language=language))
    credentials = [_credential(book, c, c, language) for c in data["credentials"]]
    groups = {v: [c for c in credentials if c["status"] == v] for v in ("eligible", "undetermined", "ineligible")}
    return {
        "as_of": data["as_of"],
        "as_of_text": _date(data["as_of"], language),
        "rules": {k: data["rules"][k] for k in ("name", "version", "id")},
        **groups,
        "counts": {k: len(v) for k, v in groups.items()},
        "state": _state(book, data["state"], language),
        "rules_language": _rules_language(book, language),
    }
