"""Shared fixtures, and collection of the YAML rule fixtures under tests/rules/ as test items."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Rulebook, load_rulebook
from tests.fixtures import Case, compare, compare_guidance, eligible_from_problems, load_cases

REPO = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def bundled_rulebook() -> Rulebook:
    """The bundled rule set, loaded and compiled once per test process."""
    return load_rulebook(REPO / "rules")


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return bundled_rulebook()


@pytest.fixture(scope="session")
def app(rulebook: Rulebook) -> Any:
    from api.main import create_app

    return create_app(rulebook=rulebook)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


class FixtureMismatch(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems


class RuleFixtureFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for case in load_cases(self.path):
            yield RuleFixtureItem.from_parent(self, name=case.name, case=case)


class RuleFixtureItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        case = self.case
        book = bundled_rulebook()
        result = book.evaluate(case.applicant, as_of=case.as_of, credentials=[case.credential], state=case.state)
        problems = compare(case, result.credentials[0])
        if "guidance" in case.expect:
            problems += compare_guidance(case, result.guidance()[0], book)
            problems += eligible_from_problems(case, book)
        if problems:
            raise FixtureMismatch(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, FixtureMismatch):
            lines = "\n".join(f"  - {p}" for p in excinfo.value.problems)
            return f"{self.path.name}: {self.case.name} (as_of {self.case.as_of})\n{lines}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.case.credential}: {self.case.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and (REPO / "tests" / "rules" / "credentials") in file_path.parents:
        return RuleFixtureFile.from_parent(parent, path=file_path)
    return None
