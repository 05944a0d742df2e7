"""Strict YAML reading for rule files.

PyYAML's safe loader silently keeps the last of two duplicate keys, turns ``yes``/``no``/``on``/``off``
into booleans and raises bare ``ValueError``s for impossible dates. Rule files are reviewed by people who
are not YAML lawyers, so this loader:

* rejects duplicate keys, naming both lines;
* only reads ``true``/``false`` as booleans (YAML 1.2 behaviour);
* reports impossible dates (``2024-02-30``) with their line;
* returns, next to the data, a map from each key path to its line so that later validation errors
  can point at the line too.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from ._errors import RuleProblem

__all__ = ["LineMap", "YamlProblemError", "read_yaml"]

LineMap = dict[tuple[str | int, ...], int]


class YamlProblemError(Exception):
    def __init__(self, problem: RuleProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


# libyaml's C parser when PyYAML was built with it (about 10x faster start-up); the pure-Python one otherwise.
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 booleans (only true/false)."""


# Drop the YAML 1.1 bool resolver (yes/no/on/off/y/n) and register a strict one.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: LineMap, file: str) -> None:
    """Record lines and reject duplicate keys and impossible dates before construction."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            dotted = ".".join(str(p) for p in (*path, key))
            if key in seen:
                raise YamlProblemError(
                    RuleProblem(file, dotted, f"duplicate key (first defined on line {seen[key]})", line)
                )
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, file)
    elif isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP:
        try:
            dt.date.fromisoformat(node.value)
        except ValueError:
            raise YamlProblemError(
                RuleProblem(
                    file,
                    ".".join(str(p) for p in path),
                    f"`{node.value}` is not a valid date (expected YYYY-MM-DD)",
                    node.start_mark.line + 1,
                )
            ) from None


def read_yaml(path: Path, display: str, content: bytes | None = None) -> tuple[Any, LineMap]:
    """Read one YAML document strictly.

    Args:
        path: the file to read.
        display: how to name the file in messages (a path relative to the rule set root).
        content: the file's bytes, already read (``path`` is then not read).

    Returns:
        The constructed data and a map from key paths to line numbers.

    Raises:
        YamlProblemError: for unreadable files, syntax errors, duplicate keys and bad dates.
    """
    try:
        text = path.read_text(encoding="utf-8") if content is None else content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblemError(RuleProblem(display, "", f"cannot read file: {exc}")) from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlProblemError(RuleProblem(display, "", "file is empty"))
        lines: LineMap = {}
        _walk(node, (), lines, display)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblemError(RuleProblem(display, "", f"YAML syntax error: {exc.problem}", line)) from None
    except yaml.YAMLError as exc:
        raise YamlProblemError(RuleProblem(display, "", f"YAML error: {exc}")) from None
    finally:
        loader.dispose()
    return data, lines
