"""Internals of the ASGI middleware (``api/middleware.py``) that no request can observe in a test's time."""

from __future__ import annotations

from api.middleware import MAX_CLIENTS, _Buckets


def test_the_client_table_stays_bounded_and_is_never_rebuilt() -> None:
    buckets = _Buckets(rate=1, burst=2)
    for i in range(MAX_CLIENTS + 5_000):  # a flood of new clients: each take is O(1) (no table rebuild)
        assert buckets.take(("address", f"10.{i}")) == 0
    assert len(buckets.table) <= MAX_CLIENTS
