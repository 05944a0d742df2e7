"""The values the engine hands durable-rules (``engine/_program.py``): written so that its parser reads them."""

from __future__ import annotations

import pytest

from engine._program import encode_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-05, "0.00001"),
        (1e30, "1000000000000"),
        (2.5, "2.5"),
        (3.0, "3"),
        (0.0, "0"),
        (True, "true"),
        ([1, "a"], '[1,"a"]'),
    ],
)
def test_values_are_never_sent_in_exponent_notation(value: object, text: str) -> None:
    assert encode_value(value) == text
