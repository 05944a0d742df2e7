"""``make mutants``' named test selections keep naming tests that exist (a renamed test would otherwise drop
out of a selection, or a deselected slow test come back, without a word)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO
from tests.mutants import SELECTIONS, mutant_globs


def _collect(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_a_named_selection_collects_its_tests_and_not_those_it_leaves_out(name: str) -> None:
    selection = SELECTIONS[name]
    left_out = [selection[i + 1] for i, arg in enumerate(selection) if arg == "--deselect"]
    named = [arg for arg in selection if "::" in arg and arg not in left_out]
    exist = _collect(left_out + named)
    assert exist.returncode == 0, exist.stdout[-2000:] + exist.stderr[-2000:]  # every test named is found
    collected = _collect(selection)
    assert collected.returncode == 0, collected.stdout[-2000:]
    ids = {line for line in collected.stdout.splitlines() if "::" in line}
    assert ids and not {i for i in ids if any(i.startswith(out) for out in left_out)}


def test_the_two_samples_of_one_in_20_are_disjoint_and_make_the_one_in_10() -> None:
    import fnmatch

    def picked(sample: str) -> set[int]:
        globs = mutant_globs("engine/_dates.py", sample)
        names = {n: f"engine._dates.x_f__mutmut_{n}" for n in range(1, 1000)}
        return {n for n, name in names.items() if any(fnmatch.fnmatchcase(name, g) for g in globs)}

    first, second = picked("20"), picked("20:2")
    assert not first & second
    assert first | second == picked("10")
    assert len(first) == len(second) == 50  # 1 in 20 each: 1, 21, ..., 981 and 11, 31, ..., 991


def test_a_sample_names_the_first_mutant_of_each_function_and_one_in_n() -> None:
    assert mutant_globs("engine/_dates.py") == ["engine._dates.*"]
    assert mutant_globs("engine/_dates.py", "10") == ["engine._dates.*__mutmut_*1"]
    assert mutant_globs("engine/_dates.py", "20") == ["engine._dates.*__mutmut_1", "engine._dates.*__mutmut_*[02468]1"]
    assert mutant_globs("engine.x_f__mutmut_3", "10") == ["engine.x_f__mutmut_3"]  # a mutant's name, as given
    with pytest.raises(SystemExit, match="not mutated"):
        mutant_globs("api/main.py")
