"""A seeded, realistic population of applicants for benchmarks and load tests.

The mix resembles what schools and employers send: medical assisting, phlebotomy, EKG, patient care and
laboratory students and graduates, experienced workers, people holding certifications, and partial
records (pre-screening often knows little). Same seed, same population.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

AS_OF = dt.date(2026, 11, 23)

DISCIPLINES = [
    ("medical-assisting", 0.35),
    ("phlebotomy", 0.18),
    ("ekg", 0.08),
    ("patient-care-technician", 0.08),
    ("medical-administrative", 0.07),
    ("medical-laboratory-technician", 0.1),
    ("medical-laboratory-science", 0.06),
    ("medical-laboratory-assistant", 0.04),
    ("medical-services", 0.02),
    ("nursing", 0.02),
]
ROLE_FOR = {
    "medical-assisting": "medical-assistant",
    "phlebotomy": "phlebotomy-technician",
    "ekg": "ekg-technician",
    "patient-care-technician": "patient-care-technician",
    "medical-administrative": "medical-administrative-specialist",
    "medical-laboratory-technician": "clinical-laboratory",
    "medical-laboratory-science": "clinical-laboratory",
    "medical-laboratory-assistant": "laboratory-assistant",
    "medical-services": "medical-assistant",
    "nursing": "other-healthcare",
}
CERTS = ["aama.cma", "amt.rma", "nha.ccma", "ascp.mlt", "ascp.mls", "nha.cpt", "ascp.dpt", "amt.rpt"]


def _date(rng: random.Random, start: dt.date, end: dt.date) -> str:
    return (start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))).isoformat()


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _program(rng: random.Random, discipline: str, full: bool) -> dict[str, Any]:
    completion = AS_OF + dt.timedelta(days=rng.randint(-12 * 365, 120))
    program: dict[str, Any] = {"discipline": discipline, "completion_date": completion.isoformat()}
    if completion <= AS_OF:
        program["status"] = "completed"
    else:
        program["status"] = "in-progress"
    lab = discipline.startswith("medical-laboratory-t") or discipline == "medical-laboratory-science"
    accreditors = ["NAACLS", "ABHES", "none"] if lab else ["CAAHEP", "ABHES", "none", "other"]
    if full or rng.random() < 0.7:
        program["accreditor"] = rng.choice(accreditors)
    if full or rng.random() < 0.6:
        program["institution_accreditation"] = rng.choice(["usde", "chea", "usde-and-chea", "state-approved", "none"])
    if full or rng.random() < 0.6:
        program["clock_hours"] = rng.choice([120, 240, 600, 720, 900, 1200])
        program["clinical_hours"] = rng.choice([0, 40, 100, 120, 160, 180, 240])
        program["didactic_hours"] = rng.choice([40, 200, 400, 560, 720])
    if discipline in ("phlebotomy", "medical-assisting", "patient-care-technician") and (full or rng.random() < 0.5):
        program["venipunctures"] = rng.choice([5, 10, 30, 50, 100, 120])
        program["capillary_punctures"] = rng.choice([0, 5, 10, 25])
    if discipline in ("ekg", "patient-care-technician", "medical-assisting") and (full or rng.random() < 0.5):
        program["ekgs"] = rng.choice([0, 5, 10, 15])
    if discipline == "medical-assisting" and (full or rng.random() < 0.5):
        program["injections"] = rng.choice([0, 5, 10, 12])
        program["postsecondary"] = rng.random() < 0.9
        program["award"] = rng.choice(["certificate", "diploma", "associate-degree", "none"])
    if rng.random() < 0.08:
        program["military"] = True
        program["duration_weeks"] = rng.choice([20, 50, 52])
    elif full or rng.random() < 0.4:
        program["military"] = False
    if rng.random() < 0.15:
        program["approvals"] = rng.sample(["ncct-authorized", "amt-board-approved", "state-approved"], k=1)
    return program


def _job(rng: random.Random, role: str) -> dict[str, Any]:
    start = AS_OF - dt.timedelta(days=rng.randint(60, 10 * 365))
    job: dict[str, Any] = {"role": role, "start_date": start.isoformat()}
    if rng.random() < 0.6:
        job["end_date"] = _date(rng, start, AS_OF)
    if rng.random() < 0.8:
        job["hours_per_week"] = rng.choice([16, 20, 30, 36, 40])
    if rng.random() < 0.6:
        job["supervised"] = rng.random() < 0.85
    if role == "clinical-laboratory" and rng.random() < 0.6:
        areas = ["blood-banking", "chemistry", "hematology", "microbiology", "immunology", "urinalysis"]
        job["lab_areas"] = rng.sample(areas, k=rng.randint(2, 6))
        job["setting"] = rng.choice(["accredited-clinical-laboratory", "hospital", "other-clinical-laboratory"])
    if role == "phlebotomy-technician" and rng.random() < 0.5:
        job["venipunctures"] = rng.choice([50, 100, 500])
        job["capillary_punctures"] = rng.choice([10, 25, 100])
    return job


def applicant(rng: random.Random) -> dict[str, Any]:
    """One applicant; about a quarter are sparse pre-screening records."""
    sparse = rng.random() < 0.25
    full = rng.random() < 0.3
    discipline = _pick(rng, DISCIPLINES)
    out: dict[str, Any] = {}
    if not sparse or rng.random() < 0.5:
        out["birth_date"] = _date(rng, dt.date(1965, 1, 1), dt.date(2009, 1, 1))
    if not sparse:
        out["high_school"] = {"credential": rng.choices(["diploma", "ged", "none"], weights=[0.8, 0.17, 0.03])[0]}
    if rng.random() < 0.85:
        out["programs"] = [_program(rng, discipline, full)]
        if rng.random() < 0.15:
            out["programs"].append(_program(rng, _pick(rng, DISCIPLINES), full))
    elif rng.random() < 0.5:
        out["programs"] = []
    if rng.random() < 0.6:
        out["work_experience"] = [_job(rng, ROLE_FOR[discipline]) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.5:
        out["certifications"] = [
            {
                "credential": c,
                "status": rng.choice(["active", "lapsed"]),
                "earned_date": _date(rng, dt.date(2005, 1, 1), AS_OF),
            }
            for c in rng.sample(CERTS, k=rng.randint(0, 2))
        ]
    lab = discipline in ("medical-laboratory-technician", "medical-laboratory-science")
    if lab or rng.random() < 0.1:
        level = "bachelor" if discipline == "medical-laboratory-science" else rng.choice(["associate", "bachelor"])
        field = rng.choice(["medical-laboratory-science", "biological-science", "chemical-science", "other"])
        out["degrees"] = [{"level": level, "field": field}]
        out["semester_hours"] = {
            "total": rng.choice([30, 60, 64, 90, 120]),
            "chemistry": rng.choice([0, 6, 8, 16, 20]),
            "biology": rng.choice([0, 6, 12, 16, 24]),
        }
    return out


def population(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [applicant(rng) for _ in range(n)]
