"""Helpers to build small rule sets for engine tests, and to see which process evaluated a batch item."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

CREDENTIAL_HEAD = """\
id: {id}
name: Test credential
designation: TC
body: {{id: {body}, name: Test Body, url: https://example.org/}}
family: medical-assistant
summary: A credential used only by the engine tests.
verification: {{source: official, confidence: high}}
sources:
  doc: {{title: Test source, url: https://example.org/doc, kind: official, retrieved: 2026-01-01}}
"""


def make_rule_set(tmp_path: Path, files: dict[str, str]) -> Path:
    """A rule set with the bundled index and vocabulary plus ``files`` (relative path -> content)."""
    root = tmp_path / "rules"
    root.mkdir()
    shutil.copy(REPO / "rules" / "index.yaml", root / "index.yaml")
    shutil.copy(REPO / "rules" / "vocabulary.yaml", root / "vocabulary.yaml")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def credential(body_and_rules: str, cred_id: str = "test.cred") -> dict[str, str]:
    """A credential file at the path its id implies, with a standard head and one source `doc`."""
    body, name = cred_id.split(".")
    return {f"credentials/{body}/{name}.yaml": CREDENTIAL_HEAD.format(id=cred_id, body=body) + body_and_rules}


def batch_item_with_pid(book: Any, item_id: str, evaluation: Any, errors: Any, **options: Any) -> dict[str, Any]:
    """``api.serialize.batch_item`` plus ``pid``, the process that evaluated the item: the batch runner calls its
    ``encode`` where the item is evaluated (in a worker process for large batches), so a test can tell the
    worker path from the inline one. Module-level, so worker processes can import it."""
    from api.serialize import Detail, serializer  # not batch_item: tests replace it with this function

    options = {"detail": Detail.SUMMARY, "language": "en", **options}
    return {**serializer(book).batch_item(item_id, evaluation, errors, **options), "pid": os.getpid()}


def without_pids(results: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[int]]:
    """Results without the ``pid`` that :func:`batch_item_with_pid` adds, and the set of those pids."""
    return [{k: v for k, v in r.items() if k != "pid"} for r in results], {r["pid"] for r in results}


def until(condition: Any, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something true (and return it), or fail after ``timeout`` seconds:
    what the server tests wait with instead of a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# A credential whose one criterion a derived fact can decide, and the derivations (rules/README.md, "Derived facts").
DERIVED_RULES = """\
criteria:
  school-accredited:
    label: The school is institutionally accredited
    measure: program.institution_accreditation
    test: {one_of: [usde, chea, usde-and-chea]}
    cite: {source: doc}
routes:
  - id: school
    label: School
    criteria: [school-accredited]
"""

DERIVATIONS = """\
sources:
  standards: {title: Accreditor standards, url: https://example.org/standards, kind: official, retrieved: 2026-01-01}
derivations:
  - id: programmatic-implies-institutional
    label: A CAAHEP-accredited program's sponsor is institutionally accredited
    when: {path: program.accreditor, one_of: [CAAHEP]}
    then: {path: program.institution_accreditation, one_of: [usde, chea]}
    cite: {source: standards}
    verification: {source: official, confidence: high}
  - id: other-implies-some
    label: Another accreditor's sponsor is accredited or state-approved
    when: {path: program.accreditor, one_of: [other]}
    then: {path: program.institution_accreditation, one_of: [usde, state-approved]}
    cite: {source: standards}
    verification: {source: official, confidence: high}
"""
