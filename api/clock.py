"""Today's date, the default evaluation date. Only the API layer reads the clock; the engine never does.

Callers look the function up on this module at call time (``clock.utc_today()``), so a test that replaces it
here moves the date of every answer: the API's, the batch's and the page's.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["utc_today"]


def utc_today() -> dt.date:
    """Today's date in UTC."""
    return dt.datetime.now(dt.UTC).date()
