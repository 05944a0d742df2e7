"""A student's answers, entered in the form the way a person does (by field, in any language)."""

from __future__ import annotations

from typing import Any


def fill_student(page: Any, language: str = "en") -> None:
    """A medical assisting graduate of a CAAHEP-accredited program, in Washington, with a phlebotomy job."""
    page.select_option("#f-state", "WA")
    page.fill("#f-birth_date", "2001-04-09")
    page.check("#f-high_school-credential")  # the first option: a diploma
    page.select_option("#f-programs-0-discipline", "medical-assisting")
    page.check("#f-programs-0-status-2")  # completed
    page.fill("#f-programs-0-completion_date", "2024-06-12")
    page.select_option("#f-programs-0-accreditor", "CAAHEP")
    page.select_option("#f-programs-0-institution_accreditation", "usde")
    page.fill("#f-programs-0-clock_hours", "900")
    page.fill("#f-programs-0-clinical_hours", "180")
    page.fill("#f-programs-0-venipunctures", "30")
    page.fill("#f-programs-0-capillary_punctures", "10")
