"""The page over HTTP (no browser): languages, the form and its errors, the answer, privacy, headers, docs."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.main import create_app
from api.observability import JsonFormatter
from api.settings import Settings
from api.web.form import SECTIONS, field_name
from api.web.view import answer_view
from engine import Rulebook

GRADUATE = {
    "state": "WA",
    "birth_date": "2001-04-09",
    "high_school-credential": "diploma",
    "programs-rows": "1",
    "programs-0-discipline": "medical-assisting",
    "programs-0-status": "completed",
    "programs-0-completion_date": "2024-06-12",
    "programs-0-accreditor": "CAAHEP",
    "programs-0-institution_accreditation": "usde",
    "programs-0-clock_hours": "913.5",
    "programs-0-clinical_hours": "180",
    "action": "check",
}
GRADUATE_FACTS = {
    "birth_date": "2001-04-09",
    "high_school": {"credential": "diploma"},
    "programs": [
        {
            "discipline": "medical-assisting",
            "status": "completed",
            "completion_date": "2024-06-12",
            "accreditor": "CAAHEP",
            "institution_accreditation": "usde",
            "clock_hours": 913.5,
            "clinical_hours": 180,
        }
    ],
}


class Page(HTMLParser):
    """The parts of a page the tests read: elements by id, labels, links, scripts, sections' articles."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict[str, str | None]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: set[str] = set()
        self.links: list[str] = []
        self.inline_scripts = 0
        self.styles = 0
        self.heading: str | None = None
        self.articles: dict[str, list[str]] = {}
        self._script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids[str(a["id"])] = {"tag": tag, **a}
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "script":
            self._script = not a.get("src")
        if tag == "style" or "style" in a:
            self.styles += 1
        if tag == "h2" and a.get("id"):
            self.heading = a["id"]
        if tag == "article" and self.heading and str(a.get("id", "")).startswith("c-"):
            self.articles.setdefault(self.heading, []).append(str(a["id"])[2:])

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False


def post(client: TestClient, data: dict[str, Any], language: str = "en") -> Any:
    return client.post(f"/{language}/", data=data)


# ----------------------------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("accept", "language"),
    [(None, "en"), ("es-MX,es;q=0.9,en;q=0.5", "es"), ("fr-CA, en;q=0.2", "en"), ("de", "en"), ("es-419", "es")],
)
def test_home_answers_in_the_language_the_browser_asks_for(client: TestClient, accept: str, language: str) -> None:
    r = client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert r.status_code == 200
    assert f'<html lang="{language}">' in r.text
    assert r.headers["content-language"] == language
    assert "accept-language" in r.headers["vary"].lower()


def test_each_language_has_its_address_and_a_visible_switch(client: TestClient) -> None:
    for language, other in (("en", "es"), ("es", "en")):
        page = Page(client.get(f"/{language}/").text)
        assert f"/{other}/" in page.links  # the other language, one click away
        assert any(tag == "a" and a.get("hreflang") == other for tag, a in page.tags)


# ---------------------------------------------------------------------------------------------- the form


def test_every_control_has_a_label_and_every_group_a_legend(client: TestClient) -> None:
    html = client.get("/en/").text
    page = Page(html)
    controls = [
        a
        for tag, a in page.tags
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button")
    ]
    assert len(controls) > 60
    for a in controls:
        assert a.get("id") in page.labels, f"no label for {a.get('name')}"
    assert html.count("<fieldset") == html.count("<legend>")


def test_every_question_of_the_form_is_rendered(client: TestClient) -> None:
    page = Page(client.get("/en/").text)
    names = {a.get("name") for _, a in page.tags}
    for section in SECTIONS:
        for f in section.fields:
            assert field_name(section, 0 if section.repeated else None, f.name) in names


def test_the_page_loads_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/en/", "/es/registrar", "/docs", "/redoc"):
        page = Page(client.get(path).text)
        assert page.inline_scripts == 0, path
        assert page.styles == 0, path
        for tag, a in page.tags:
            for attr in ("src", "href"):
                url = a.get(attr) if tag in ("script", "link") else None
                assert url is None or url.startswith("/") or url.startswith("data:"), (path, url)


def test_answer_shows_the_engines_verdicts(client: TestClient, rulebook: Rulebook) -> None:
    r = post(client, GRADUATE)
    assert r.status_code == 200
    page = Page(r.text)
    expected = rulebook.evaluate(GRADUATE_FACTS, as_of=dt.datetime.now(dt.UTC).date(), state="WA")
    assert page.articles.get("eligible", []) == expected.eligible
    undetermined = [c for c, v in expected.verdicts if v == "undetermined"]
    ineligible = [c for c, v in expected.verdicts if v == "ineligible"]
    assert page.articles.get("undetermined", []) == undetermined
    assert page.articles.get("ineligible", []) == ineligible
    assert "state" in page.ids  # Washington's licensing notes
    assert "Official source" in r.text and "https://www.aama-ntl.org/" in r.text


def test_every_link_inside_a_page_points_at_something_on_it(client: TestClient) -> None:
    # A program in the form's second row, the first left blank: the answer asks about `programs[0]`, which
    # must be the form's first row once the blank one is dropped.
    sparse = {"programs-rows": "2", "programs-1-discipline": "phlebotomy", "action": "check"}
    answer = post(client, sparse)
    assert 'href="#f-programs-0-clock_hours"' in answer.text and 'href="#f-birth_date"' in answer.text
    for response in (answer, post(client, GRADUATE), post(client, {"action": "check"}), client.get("/es/")):
        page = Page(response.text)
        for link in page.links:
            if link.startswith("#"):
                assert link[1:] in page.ids, link


@pytest.mark.parametrize(
    "name",
    [
        field_name(s, 0 if s.repeated else None, f.name)
        for s in SECTIONS
        for f in s.fields
        if f.kind in ("number", "count")
    ],
)
def test_a_bad_number_is_reported_next_to_its_field(client: TestClient, name: str) -> None:
    section = name.split("-")[0]
    base = {f"{section}-rows": "1"} if "-0-" in name else {}
    if section == "work_experience":
        base |= {"work_experience-0-role": "phlebotomy-technician", "work_experience-0-start_date": "2020-01-01"}
    for value, message in (("-1", "Enter 0 or more."), ("abc", "Enter a")):
        r = post(client, {**base, name: value, "action": "check"})
        assert r.status_code == 422, (name, value)
        page = Page(r.text)
        control = page.ids[f"f-{name}"]
        assert control["aria-invalid"] == "true"
        error_id = f"f-{name}-error"
        assert error_id in str(control["aria-describedby"]).split()
        assert error_id in page.ids
        assert message in r.text
        assert f'href="#f-{name}"' in r.text  # the summary at the top links to the field
        assert re.search(rf'value="{re.escape(value)}"', r.text)  # shown again, to correct it


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"work_experience-rows": "1", "work_experience-0-role": "medical-assistant"},
            "f-work_experience-0-start_date",
            "Enter the date you started this job.",
        ),
        (
            {
                "programs-rows": "1",
                "programs-0-discipline": "phlebotomy",
                "programs-0-start_date": "2024-05-01",
                "programs-0-completion_date": "2023-05-01",
            },
            "f-programs-0-completion_date",
            "The date you finished is before the date you started.",
        ),
        ({"programs-rows": "1", "programs-0-clock_hours": "100"}, "f-programs-0-discipline", "Choose what the program"),
        ({"birth_date": "1850-01-01"}, "f-birth_date", "Enter a date between 1900 and 2100."),
        ({"birth_date": "2001-02-30"}, "f-birth_date", "Enter a real date"),
        ({"state": "XX"}, "f-state", "Choose one of the options."),
        ({"programs-rows": "1", "programs-0-discipline": "dentistry"}, "f-programs-0-discipline", "Choose one of"),
        (
            {"programs-none": "yes", "programs-rows": "1", "programs-0-discipline": "phlebotomy"},
            "sec-programs",
            "You checked that you have none",
        ),
    ],
)
def test_errors_name_their_field(client: TestClient, data: dict[str, str], field: str, message: str) -> None:
    r = post(client, {**data, "action": "check"})
    assert r.status_code == 422
    page = Page(r.text)
    assert f"{field}-error" in page.ids
    assert message in r.text
    assert f'href="#{field}"' in r.text


def test_errors_are_in_the_pages_language(client: TestClient) -> None:
    r = post(client, {"programs-rows": "1", "programs-0-discipline": "phlebotomy", "programs-0-ekgs": "x"}, "es")
    assert r.status_code == 422
    assert "Escriba un número entero" in r.text


def test_us_dates_are_read_as_month_day_year(client: TestClient) -> None:
    r = post(client, {"birth_date": "04/09/2001", "action": "edit"})
    assert 'value="04/09/2001"' in r.text  # shown as typed
    ok = post(client, {"birth_date": "04/09/2001", "action": "check"})
    assert ok.status_code == 200


def test_rows_are_added_and_removed_without_javascript(client: TestClient) -> None:
    data = {**GRADUATE, "action": "add:programs"}
    page = Page(post(client, data).text)
    assert "f-programs-1-discipline" in page.ids
    assert page.ids["f-programs-0-clock_hours"]["value"] == "913.5"  # kept
    two = {
        "programs-rows": "2",
        "programs-0-discipline": "phlebotomy",
        "programs-1-discipline": "ekg",
        "action": "remove:programs-0",
    }
    page = Page(post(client, two).text)
    assert "f-programs-1-discipline" not in page.ids
    selected = re.search(r'id="f-programs-0-discipline".*?</select>', post(client, two).text, re.S)
    assert selected and 'value="ekg" selected' in selected.group(0)


def test_the_default_button_checks(client: TestClient) -> None:
    """Enter in a field submits with the form's first submit button: it must check, not add a row or switch
    the language."""
    for html in (client.get("/en/").text, post(client, GRADUATE).text, post(client, {"birth_date": "x"}).text):
        form = html[html.index('<form id="applicant"') :]
        first = re.search(r"<button type=\"submit\"[^>]*>", form)
        assert first and 'name="action" value="check"' in first.group(0) and "formaction" not in first.group(0)


def test_language_switch_keeps_the_answer(client: TestClient) -> None:
    english = post(client, GRADUATE).text
    assert 'formaction="/es/"' in english
    spanish = post(client, GRADUATE, "es")
    assert spanish.headers["content-language"] == "es"
    assert Page(spanish.text).articles["eligible"] == Page(english).articles["eligible"]
    assert "Puede solicitar" in spanish.text


# ------------------------------------------------------------------------------------------------ privacy


def test_no_applicant_data_in_logs_urls_or_cookies(rulebook: Rulebook) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("credcheck", "uvicorn", "uvicorn.error", "")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    secrets = {"1987-03-14", "913.5", "8765"}
    try:
        with TestClient(create_app(Settings(batch_workers=1), rulebook=rulebook)) as c:
            facts = {**GRADUATE, "birth_date": "1987-03-14", "programs-0-venipunctures": "8765"}
            answers = [
                post(c, facts),
                post(c, {**facts, "programs-0-clinical_hours": "-4"}),
                post(c, {**facts, "birth_date": "1987-03-14x"}),
                c.post("/en/registrar", files={"cohort": ("c.csv", b"id,birth_date\ns1,1987-03-14\n", "text/csv")}),
            ]
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    text = stream.getvalue()
    assert any(json.loads(line).get("path") == "/en/" for line in text.splitlines())
    for secret in secrets | {"1987-03-14x"}:
        assert secret not in text, secret
    for answer in answers:
        assert "set-cookie" not in answer.headers
        assert answer.url.query == b"" and answer.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------------------------------------ headers


def test_pages_and_docs_get_a_self_only_policy_and_the_api_keeps_its_own(client: TestClient) -> None:
    for path in ("/", "/en/", "/es/registrar", "/docs", "/static/page.css", "/docs/static/swagger-ui-bundle.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp, path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    redoc = client.get("/redoc").headers["content-security-policy"]
    assert "script-src 'self';" in redoc and "http" not in redoc
    api = client.get("/v1/credentials").headers["content-security-policy"]
    assert api == "default-src 'none'; frame-ancestors 'none'"


def test_docs_are_served_from_the_service(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = Page(client.get(path).text)
        scripts = [a["src"] for tag, a in page.tags if tag == "script"]
        assert scripts and all(str(s).startswith("/docs/static/") for s in scripts)
        for src in scripts:
            asset = client.get(str(src))
            assert asset.status_code == 200 and len(asset.content) > 100
    assert client.get("/openapi.json").status_code == 200


def test_page_routes_stay_out_of_the_spec(app: Any) -> None:
    paths = app.openapi()["paths"]
    assert all(p.startswith(("/v1/", "/healthz", "/readyz")) for p in paths)


# ----------------------------------------------------------------------------------------------- view model


def test_the_view_model_has_every_key_the_templates_read(rulebook: Rulebook) -> None:
    evaluation = rulebook.evaluate(GRADUATE_FACTS, as_of=dt.date(2026, 11, 23), state="CA")
    view = answer_view(evaluation, "es", book=rulebook)
    guidance = {g.id: g for g in evaluation.guidance()}
    assert view["as_of_text"] == "23 de noviembre de 2026"
    seen = [c["id"] for group in ("eligible", "undetermined", "ineligible") for c in view[group]]
    assert sorted(seen) == sorted(c for c, _ in evaluation.verdicts)
    verdicts = dict(evaluation.verdicts)
    for group in ("eligible", "undetermined", "ineligible"):
        assert view["counts"][group] == len(view[group])
        for c in view[group]:
            assert verdicts[c["id"]] == c["status"] == group
            # guidance: every credential says what to do next, in the page's language
            assert c["next_steps"] and all(step["text"] and step["lang"] == "es" for step in c["next_steps"])
            guided = guidance[c["id"]]
            assert (c["eligible_from"] is None) == (guided.eligible_from is None)
            assert (c["eligible_until"] is None) == (guided.eligible_until is None)
            encoded = [r for r in c["routes"] if r["coverage"] == "full"]
            assert (c["nearest_route"] is not None) == (guided.nearest_route is not None)
            if c["nearest_route"] is not None:
                assert c["nearest_route"]["shortfalls"]  # what the nearest route still needs, in words
            assert c["not_encoded"] == (group == "undetermined" and not encoded)
            if c["not_encoded"]:
                assert c["unencoded_routes"] == c["routes"]  # each shown with why it is not checked
            for r in c["routes"]:
                open_route = r["status"] != "met" and r["coverage"] == "full" and group != "eligible"
                assert bool(r["shortfalls"]) == open_route
                assert {x["id"] for x in r["unmet"] + r["unknown"] + r["met"]} == {x["id"] for x in r["criteria"]}
                for crit in r["criteria"]:
                    assert crit["verification"]["text"] and crit["text"]["lang"] == "es"
    assert view["state"]["name"]["text"] == "California" and view["state"]["notes"]


def test_requirements_resting_on_secondary_sources_are_flagged(rulebook: Rulebook) -> None:
    evaluation = rulebook.evaluate(GRADUATE_FACTS, as_of=dt.date(2026, 11, 23))
    flagged = 0
    for c in answer_view(evaluation, "en", book=rulebook)["eligible"]:
        secondary = [
            crit["id"]
            for r in c["routes_met"]
            for crit in r["criteria"]
            if crit["verification"]["source"] == "secondary" or crit["verification"]["level"] == "provisional"
        ]
        assert [crit["id"] for crit in c["secondary"]] == secondary
        flagged += len(secondary)
    assert flagged  # the graduate's answer has some (RMA's routes are rebuilt from secondary sources)


def test_a_caution_is_shown_with_its_status_and_decides_nothing(client: TestClient, rulebook: Rulebook) -> None:
    """NHA's minimum age of 18 comes from secondary sources only: a 17-year-old graduate's CCMA shows it as a
    caution, not met, next to a verdict it does not change."""
    facts = {**GRADUATE, "birth_date": "2009-04-09"}
    today = dt.datetime.now(dt.UTC).date()
    young = {**GRADUATE_FACTS, "birth_date": "2009-04-09"}
    verdict = dict(rulebook.evaluate(young, as_of=today).verdicts)["nha.ccma"]
    view = answer_view(rulebook.evaluate(young, as_of=today), "en", book=rulebook)
    ccma = next(c for g in ("eligible", "undetermined", "ineligible") for c in view[g] if c["id"] == "nha.ccma")
    assert ccma["status"] == verdict
    assert [(x["id"], x["status"]) for x in ccma["cautions"]] == [("nha.ccma.age-18", "unmet")]
    html = post(client, facts).text
    card = html[html.index('id="c-nha.ccma"') :]
    card = card[: card.index("</article>")]
    assert "Check this before you apply" in card and "Is at least 18 years old" in card
    assert "secondary source" in card


# ------------------------------------------------------------------------------------------------ robustness

_FORM_NAMES = sorted(
    {field_name(s, row, f.name) for s in SECTIONS for f in s.fields for row in ((0, 1) if s.repeated else (None,))}
    | {f"{s.key}-rows" for s in SECTIONS if s.repeated}
    | {f"{s.key}-none" for s in SECTIONS if s.repeated}
    | {"action"}
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(_FORM_NAMES),
        st.one_of(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
            st.sampled_from(["check", "edit", "add:programs", "remove:programs-1", "99", "-3", "2024-02-29"]),
        ),
        max_size=12,
    )
)
def test_whatever_is_posted_the_page_answers_or_names_the_fields(client: TestClient, data: dict[str, str]) -> None:
    r = client.post("/en/", data=data)
    assert r.status_code in (200, 422), r.text[-500:]
    assert r.headers["content-type"].startswith("text/html")
    if r.status_code == 422:
        page = Page(r.text)
        assert any(i.endswith("-error") for i in page.ids)  # an error is shown next to something


@pytest.mark.parametrize(
    ("path", "element", "label"),
    [
        ("birth_date", "f-birth_date", "Date of birth"),
        (
            "programs[0].clock_hours",
            "f-programs-0-clock_hours",
            "Training programs: Total hours of the program (Program 1)",
        ),
        ("programs[1].approvals", "f-programs-1-approvals", None),
        ("programs[].clock_hours", "sec-programs", "Training programs: Total hours of the program"),
        ("programs[0]", "sec-programs", "Training programs"),
        ("programs", "sec-programs", "Training programs"),
        ("high_school.credential", "f-high_school-credential", None),
        ("work_experience", "sec-work_experience", None),
        ("programs[0].nonsense", "sec-programs", "Training programs"),
        ("nonsense", None, "nonsense"),
        ("not a path[", None, "not a path["),
    ],
)
def test_an_input_an_answer_asks_for_links_to_its_question(path: str, element: str | None, label: str | None) -> None:
    from api.web.form import anchor
    from api.web.view import input_view

    assert anchor(path) == element
    view = input_view(path, "en")
    assert view["anchor"] == element and view["path"] == path
    if label is not None:
        assert view["label"] == label
