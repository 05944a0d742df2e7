"""Calendar arithmetic for time windows.

Windows in the rules are calendar windows ("within the past 4 years" means on or after the same day four
years before the evaluation date), not multiples of 365 days. The engine compares numbers, so a calendar
difference is encoded as one integer that orders the same way::

    years * 10000 + months * 100 + days        (months < 12, days <= 30)

4 years exactly is 40000; 4 years and 1 day is 40001; 3 years 11 months 30 days is 31130. A threshold of
``{months: 12}`` becomes 10000. Differences to a later date are the negative of the difference back.

Whole months are counted from the rule's reference date (the evaluation date, or the ``end`` of a
``time_between``), as windows are: "within 5 years" of 2028-02-29 reaches back to 2023-02-28, whether the rule
tests a graduation date or work experience. Adding months clamps to the end of the month (31 January + 1 month
= 28/29 February). Ages count from the birth date, so someone born on 29 February turns a year older on
28 February in common years.

Examples:
    >>> calendar_code(dt.date(2020, 6, 15), dt.date(2024, 6, 15))
    40000
    >>> calendar_code(dt.date(2020, 6, 15), dt.date(2024, 6, 16))
    40001
    >>> calendar_code(dt.date(2024, 6, 16), dt.date(2024, 6, 15))
    -1
    >>> calendar_code_at(dt.date(2028, 2, 29), dt.date(2023, 2, 28))   # 5 years back from the anchor
    50000
    >>> calendar_code(dt.date(2023, 2, 28), dt.date(2028, 2, 29))      # 5 years forward from the start, + 1 day
    50001
"""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = [
    "add_months",
    "calendar_code",
    "calendar_code_at",
    "calendar_diff",
    "split_calendar_code",
    "duration_code",
    "full_years",
    "subtract",
]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` (may be negative), clamped to the last day of the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def calendar_diff(start: dt.date, end: dt.date) -> tuple[int, int, int]:
    """Whole years, months and remaining days from ``start`` to a later or equal ``end``."""
    if end < start:
        raise ValueError("end is before start")
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    anchor = add_months(start, months)
    return months // 12, months % 12, (end - anchor).days


def calendar_code(start: dt.date, end: dt.date) -> int:
    """The calendar difference from ``start`` to ``end`` as one sortable integer (see module doc)."""
    if end >= start:
        years, months, days = calendar_diff(start, end)
        return years * 10000 + months * 100 + days
    years, months, days = calendar_diff(end, start)
    return -(years * 10000 + months * 100 + days)


def calendar_code_at(anchor: dt.date, other: dt.date) -> int:
    """Signed calendar distance from ``other`` to ``anchor``, counting whole months from the anchor.

    Positive when ``other`` is before the anchor ("how long ago, seen from the anchor"), negative after it.
    """
    if other > anchor:
        return -calendar_code(anchor, other)  # forward from the anchor
    months = (anchor.year - other.year) * 12 + (anchor.month - other.month)
    if add_months(anchor, -months) < other:
        months -= 1
    days = (add_months(anchor, -months) - other).days
    return (months // 12) * 10000 + (months % 12) * 100 + days


def duration_code(years: int = 0, months: int = 0) -> int:
    """Encode a threshold given in years or months the same way as :func:`calendar_code`."""
    total = years * 12 + months
    return (total // 12) * 10000 + (total % 12) * 100


def full_years(start: dt.date, end: dt.date) -> int:
    """Completed years from ``start`` to ``end`` (an age); negative never, 0 if ``end`` is earlier."""
    return calendar_diff(start, end)[0] if end >= start else 0


def subtract(day: dt.date, *, years: int = 0, months: int = 0, days: int = 0) -> dt.date:
    """``day`` minus a duration, calendar-wise for years and months."""
    return add_months(day, -(years * 12 + months)) - dt.timedelta(days=days)


def split_calendar_code(code: int) -> tuple[int, int, int]:
    """Years, months and days of a non-negative calendar code (see the module doc)."""
    years, rest = divmod(code, 10000)
    months, days = divmod(rest, 100)
    return years, months, days
