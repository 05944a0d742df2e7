"""``tests/hunt.py``, the longer search of generated rule sets: it runs, and a small range finds nothing."""

from __future__ import annotations

from typing import Any

from tests import hunt


def test_the_first_seeds_timelines_agree_with_verdicts_day_by_day(capsys: Any) -> None:
    # Seeds 0-11 held three kinds of guidance bug (routes and criteria coming into effect ahead) before they
    # were fixed; each is pinned by a named test in tests/engine/test_guidance.py.
    assert hunt.main(["--seeds", "0:12", "--applicants", "40", "--timelines"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 of 12 seeds with a finding")


def test_a_finding_is_reported_with_its_seed_and_fails_the_run(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setattr(hunt, "hunt", lambda seed, applicants, timelines: "a finding" if seed == 3 else None)
    assert hunt.main(["--seeds", "2:5"]) == 1
    assert capsys.readouterr().out.splitlines() == ["a finding", "1 of 3 seeds with a finding"]
