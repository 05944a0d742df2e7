"""The benchmark scripts still run (their figures live in benchmarks/README.md, never in tests)."""

from __future__ import annotations

from typing import Any

from benchmarks import run


def _positive(values: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = values[key]["median"] if isinstance(values[key], dict) else values[key]
        assert value > 0, key


def test_engine_section_measures_the_engine_and_the_yardstick() -> None:
    result = run.bench_engine(quick=True)
    assert result["credentials"] == 20 and result["applicants"] == 500
    _positive(result, "verdicts_us", "full_explanation_us", "durable_rules_us", "yardstick_us")
    assert result["ratio_engine_to_yardstick"] > 0


def test_profile_section_accounts_for_a_whole_request() -> None:
    result = run.bench_profile(quick=True)
    stages = ("validate_request_us", "evaluate_us", "explain_us", "serialise_us")
    _positive(result, *stages, "app_in_process_us")
    # the whole request includes every stage, so it takes longer than the longest of them
    assert result["app_in_process_us"] > max(result[k] for k in stages)


def test_wrk_bodies_are_valid_requests() -> None:
    bodies = run._bodies(5, run.MA_CREDENTIALS)
    assert len(bodies) == 5 and all(b'"credentials": ["aama.cma", "amt.rma", "nha.ccma"]' in b for b in bodies)
    assert all(b'"detail": "standard"' in b for b in bodies)
