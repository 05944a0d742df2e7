"""The page in a real browser: Debian's Chromium driven by Playwright against the service on a loopback port.

A student fills the form and reads the verdicts; the same in Spanish; a keyboard-only pass; a registrar
uploads a CSV and downloads the results; /docs renders with the network closed to anything but the service.
Every page is scanned with axe-core (WCAG 2.2 A/AA rules): no serious or critical finding. The pages keep
their Content-Security-Policy throughout: axe is injected through the DevTools protocol (``page.evaluate``),
since the policy refuses inline scripts such as ``add_script_tag`` would add.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Rulebook
from tests.web.live import AXE, chromium, serve
from tests.web.student import fill_student

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
STUDENT_FACTS = {
    "birth_date": "2001-04-09",
    "high_school": {"credential": "diploma"},
    "programs": [
        {
            "discipline": "medical-assisting",
            "status": "completed",
            "completion_date": "2024-06-12",
            "accreditor": "CAAHEP",
            "institution_accreditation": "usde",
            "clock_hours": 900,
            "clinical_hours": 180,
            "venipunctures": 30,
            "capillary_punctures": 10,
        }
    ],
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, base: str) -> Iterator[Any]:
    """A fresh page (its own context: no cookies or cache shared) that records console errors."""
    context = browser.new_context(base_url=base, locale="en-US")
    p = context.new_page()
    p.errors = []  # type: ignore[attr-defined]
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" and not _status_422(m.text) else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    context.close()


def _status_422(message: str) -> bool:
    """Chromium logs an answer's status 422 (a form sent back with its errors) as a console error."""
    return message.startswith("Failed to load resource") and "status of 422" in message


def axe_findings(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the page once it has loaded (its stylesheet applied: scanned
    while a navigation is still loading, unstyled controls fail `target-size`)."""
    page.wait_for_load_state("load")
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }""",
        AXE_TAGS,
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def verdicts(page: Any) -> dict[str, list[str]]:
    """The credentials under each heading of the answer, by id, as the page shows them."""
    return page.evaluate(
        """() => Object.fromEntries(["eligible", "undetermined", "ineligible"].map(group => {
            const ids = [];
            let node = document.getElementById(group).nextElementSibling;
            while (node && node.tagName !== "H2") {
                if (node.tagName === "ARTICLE") ids.push(node.id.slice(2));
                node = node.nextElementSibling;
            }
            return [group, ids];
        }))"""
    )


def expected(rulebook: Rulebook) -> dict[str, list[str]]:
    evaluation = rulebook.evaluate(STUDENT_FACTS, as_of=dt.datetime.now(dt.UTC).date(), state="WA")
    return {g: [c for c, v in evaluation.verdicts if v == g] for g in ("eligible", "undetermined", "ineligible")}


def test_a_student_fills_the_form_and_reads_the_verdicts(page: Any, rulebook: Rulebook) -> None:
    page.goto("/en/")
    assert axe_findings(page) == []
    # A slip first: the error is announced at the top, linked to its field, and shown next to it.
    page.get_by_label("Total hours of the program").fill("nine hundred")
    page.get_by_role("button", name="Check my eligibility").last.click()
    summary = page.get_by_role("alert")
    assert "Enter a number, for example 120." in summary.inner_text()
    # read first: the summary has `autofocus`, which the browser applies at its next rendering opportunity
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')")
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "f-programs-0-clock_hours"
    assert page.locator("#f-programs-0-clock_hours-error").is_visible()
    assert axe_findings(page) == []
    page.get_by_label("State where you plan to work").select_option(label="Washington")
    page.get_by_label("Date of birth").fill("2001-04-09")
    page.get_by_label("High-school diploma", exact=True).check()
    program = page.get_by_role("group", name="Program 1")
    program.get_by_label("What did the program train you for?").select_option(
        label="Medical assisting (clinical and administrative)"
    )
    program.get_by_label("Completed (graduated)").check()
    program.get_by_label("Date you finished, or expect to finish").fill("2024-06-12")
    program.get_by_label("Who accredits the program?").select_option(
        label="Commission on Accreditation of Allied Health Education Programs"
    )
    program.get_by_label("Is the school itself accredited?").select_option(
        label="Accredited by an agency recognized by the US Department of Education"
    )
    program.get_by_label("Total hours of the program").fill("900")
    program.get_by_label("Externship or clinical hours").fill("180")
    program.get_by_label("Successful blood draws from a vein (venipunctures)").fill("30")
    program.get_by_label("Successful finger or heel sticks (capillary)").fill("10")
    page.get_by_role("button", name="Check my eligibility").last.click()
    page.get_by_role("heading", name="Your answer", exact=True).wait_for()
    assert page.url.endswith("/en/")  # nothing the student typed is in the address
    shown = verdicts(page)
    assert shown == expected(rulebook)
    assert "aama.cma" in shown["eligible"]
    cma = page.locator("#c-aama\\.cma")
    verdict = cma.locator("p.verdict")  # the verdict line, not a next step that says the same
    assert verdict.is_visible() and verdict.inner_text() == "You can apply"
    assert page.get_by_role("heading", name="Licensing rules in Washington").is_visible()
    assert axe_findings(page) == []
    # On paper: the answer without the form's controls.
    page.emulate_media(media="print")
    assert page.locator("#eligible").is_visible() and page.locator("#c-aama\\.cma").is_visible()
    assert not page.get_by_role("button", name="Check again").is_visible()
    assert not page.locator("#sec-programs").is_visible()
    page.emulate_media(media="screen")
    assert page.errors == []  # nothing blocked by the CSP, no script errors


def test_in_spanish(browser: Any, base: str, rulebook: Rulebook) -> None:
    context = browser.new_context(base_url=base, locale="es-MX")  # Accept-Language: es-MX
    page = context.new_page()
    try:
        page.goto("/")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("heading", level=1).inner_text() == "¿Qué exámenes de certificación puede presentar?"
        page.get_by_role("link", name="English").click()
        assert page.url.endswith("/en/") and page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Español").click()
        assert page.url.endswith("/es/")
        assert axe_findings(page) == []
        fill_student(page)
        page.get_by_role("button", name="Revisar mi elegibilidad").last.click()
        page.get_by_role("heading", name="Su respuesta", exact=True).wait_for()
        assert verdicts(page) == expected(rulebook)
        verdict = page.locator("#c-aama\\.cma p.verdict")
        assert verdict.is_visible() and verdict.inner_text() == "Puede solicitarla"
        assert axe_findings(page) == []
        # The switch on an answer re-sends the same answers in the other language.
        page.get_by_role("button", name="English").click()
        page.get_by_role("heading", name="Your answer", exact=True).wait_for()
        assert verdicts(page) == expected(rulebook)
    finally:
        context.close()


def test_keyboard_only(page: Any, rulebook: Rulebook) -> None:
    page.goto("/en/")
    page.bring_to_front()  # the window has the system focus, as a person's would (:focus matches)
    seen: list[str] = []

    def tab_to(element_id: str, limit: int = 300) -> None:
        """Press Tab until the focus is on ``element_id`` (or, in a group of radios, on one of them), checking
        on the way that every element that takes the focus shows it."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """() => { const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
                    return {id: e.id || e.tagName, visible: r.width > 2 && r.height > 2,
                            ring: s.outlineStyle !== "none" || s.boxShadow !== "none"}; }"""
            )
            assert focused["visible"] and focused["ring"], f"focus not visible: {focused} after {seen[-5:]}"
            seen.append(focused["id"])
            if focused["id"] == element_id or focused["id"].startswith(element_id + "-"):
                return
        raise AssertionError(f"Tab never reached #{element_id}; went through {seen[-10:]}")

    tab_to("f-high_school-credential")  # a group of radios: the focus goes to the checked one ("not answered")
    assert seen[0] == "A"  # the skip link comes first
    page.keyboard.press("ArrowDown")  # from the last choice round to the first: a diploma
    tab_to("f-programs-0-discipline")
    page.keyboard.type("Medical as")  # a native select picks the option typed
    tab_to("f-programs-0-status")
    page.keyboard.press("ArrowDown")  # in progress
    page.keyboard.press("ArrowDown")  # completed
    tab_to("f-programs-0-completion_date")
    page.keyboard.type("06122024")
    tab_to("f-programs-0-accreditor")
    page.keyboard.type("Commission")
    tab_to("f-programs-0-clock_hours")
    page.keyboard.type("900")
    page.keyboard.press("Enter")  # the form's default button: check
    page.get_by_role("heading", name="Your answer", exact=True).wait_for()
    assert page.locator("#f-high_school-credential").is_checked()
    assert page.locator("#f-programs-0-status-2").is_checked()
    assert page.locator("#f-programs-0-completion_date").input_value() == "2024-06-12"
    assert "aama.cma" in verdicts(page)["eligible"]
    assert page.errors == []


def test_a_registrar_uploads_a_cohort_and_downloads_the_results(page: Any, tmp_path: Path) -> None:
    page.goto("/en/registrar")
    assert axe_findings(page) == []
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(
        "id,high_school.credential,programs.0.discipline,programs.0.status,programs.0.completion_date,"
        "programs.0.accreditor\n"
        "s-001,diploma,medical-assisting,completed,2024-06-12,CAAHEP\n"
        "s-002,ged,phlebotomy,in-progress,2030-01-15,none\n",
        encoding="utf-8",
    )
    page.get_by_label("Cohort file (.csv or .jsonl)").set_input_files(cohort)
    with page.expect_download() as download:
        page.get_by_role("button", name="Check the file and download the results").click()
    results = Path(download.value.path()).read_text(encoding="utf-8-sig")  # the CSV starts with a BOM, for Excel
    assert download.value.suggested_filename.startswith("credcheck-results-")
    rows = list(csv.DictReader(io.StringIO(results)))
    assert [r["id"] for r in rows] == ["s-001", "s-002"] and all(r["ok"] == "true" for r in rows)
    assert rows[0]["CMA (AAMA) [aama.cma]"] == "eligible" and "CMA (AAMA)" in rows[0]["eligible"].split("; ")
    # A file that cannot be read is explained next to the upload field, in the page's language.
    page.goto("/es/registrar")
    bad = tmp_path / "cohort.txt"
    bad.write_text("x", encoding="utf-8")
    page.get_by_label("Archivo del grupo (.csv o .jsonl)").set_input_files(bad)
    page.get_by_role("button", name="Revisar el archivo y descargar los resultados").click()
    assert page.locator("#f-cohort-error").inner_text().endswith("El archivo debe ser .csv o .jsonl.")
    assert axe_findings(page) == []
    assert page.errors == []


def test_the_docs_render_with_the_network_closed(browser: Any, base: str) -> None:
    context = browser.new_context(base_url=base)
    elsewhere: list[str] = []

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/docs")
        page.locator(".opblock").first.wait_for()
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert {"/v1/eligibility", "/v1/eligibility/batch", "/v1/credentials", "/healthz"} <= set(operations)
        assert errors == []
        page.goto("/redoc")
        page.locator("h2", has_text="Check an applicant's eligibility").wait_for()
        assert elsewhere == []  # nothing asked for outside the service
    finally:
        context.close()
