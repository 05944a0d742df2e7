"""The engine's calendar arithmetic (``engine/_dates.py``) against an independent definition: dateutil.

``relativedelta(months=n)`` keeps the day of the month or takes the target month's last day; ``relativedelta(b,
a)`` counts whole months forward from ``a`` and the days left. Every function of ``engine/_dates.py`` is
checked against those, over dates that favour month ends, 28 February, 29 February and 1 March, and over
the meaning the engine gives a calendar code: a window test "at most n months" on a date holds exactly when
the date is on or after the reference date moved back n months.
"""

from __future__ import annotations

import calendar
import datetime as dt
import doctest

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine import TimeSpan, _dates
from tests import oracle

MIN, MAX = dt.date(1900, 3, 1), dt.date(2100, 10, 31)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


_years = st.integers(MIN.year + 1, MAX.year - 1)
_leap_years = _years.filter(calendar.isleap)
DAYS = st.one_of(
    st.dates(MIN, MAX),
    st.builds(_month_end, _years, st.integers(1, 12)),
    st.builds(lambda y: dt.date(y, 2, 29), _leap_years),
    st.builds(lambda y, d: dt.date(y, 2, 28) + dt.timedelta(days=d), _years, st.integers(-2, 2)),
    st.builds(lambda y, m, d: dt.date(y, m, d), _years, st.integers(1, 12), st.integers(28, 28)),
)
MONTHS = st.integers(-240, 240)
PROPERTY = settings(max_examples=1000, deadline=None, derandomize=True, database=None)


def code(years: int, months: int, days: int) -> int:
    return years * 10000 + months * 100 + days


def months_back(anchor: dt.date, other: dt.date) -> tuple[int, int]:
    """Whole months from ``anchor`` back to ``other`` (``other`` not after it), and the days left, by search."""
    m = (anchor.year - other.year) * 12 + anchor.month - other.month + 1  # too many, by the calendar
    while anchor - relativedelta(months=m) < other:
        m -= 1
    return m, (anchor - relativedelta(months=m) - other).days


def test_date_doctests() -> None:
    assert doctest.testmod(_dates).failed == 0


@PROPERTY
@given(DAYS, MONTHS)
@example(dt.date(2026, 1, 31), 1)
@example(dt.date(2024, 2, 29), 12)
@example(dt.date(2024, 2, 29), -48)
@example(dt.date(2026, 3, 31), -1)
def test_add_months_keeps_the_day_or_takes_the_month_end(day: dt.date, months: int) -> None:
    expected = day + relativedelta(months=months)
    assert _dates.add_months(day, months) == expected == oracle.add_months(day, months)
    target = day.replace(day=1) + relativedelta(months=months)
    assert expected.day == min(day.day, calendar.monthrange(target.year, target.month)[1])


@PROPERTY
@given(DAYS, DAYS)
@example(dt.date(2008, 2, 29), dt.date(2026, 2, 28))
@example(dt.date(2026, 1, 31), dt.date(2026, 2, 28))
def test_calendar_diff_and_code_count_forward_from_the_start(a: dt.date, b: dt.date) -> None:
    start, end = min(a, b), max(a, b)
    rd = relativedelta(end, start)
    assert _dates.calendar_diff(start, end) == (rd.years, rd.months, rd.days)
    assert _dates.calendar_code(start, end) == code(rd.years, rd.months, rd.days)
    assert _dates.calendar_code(end, start) == -code(rd.years, rd.months, rd.days)
    assert 0 <= rd.days <= 30  # the code's fields never overflow into the next one


@PROPERTY
@given(DAYS, DAYS)
@example(dt.date(2028, 2, 29), dt.date(2023, 2, 28))
@example(dt.date(2026, 3, 31), dt.date(2026, 2, 28))
@example(dt.date(2026, 2, 28), dt.date(2026, 1, 31))
def test_calendar_code_at_counts_back_from_the_anchor(anchor: dt.date, other: dt.date) -> None:
    got = _dates.calendar_code_at(anchor, other)
    if other > anchor:
        rd = relativedelta(other, anchor)  # forward from the anchor
        assert got == -code(rd.years, rd.months, rd.days)
    else:
        months, days = months_back(anchor, other)
        assert got == code(months // 12, months % 12, days)


@PROPERTY
@given(DAYS, DAYS, st.integers(0, 240))
@example(dt.date(2028, 2, 29), dt.date(2023, 2, 28), 60)
@example(dt.date(2028, 2, 29), dt.date(2023, 2, 27), 60)
@example(dt.date(2026, 3, 31), dt.date(2026, 2, 28), 1)
def test_a_window_of_n_months_reaches_back_to_the_anchor_minus_n_months(
    anchor: dt.date, other: dt.date, months: int
) -> None:
    """What the engine compares: time from ``other`` to ``anchor`` at most n months iff on or after anchor - n."""
    threshold = _dates.duration_code(months=months)
    assert threshold == _dates.duration_code(years=months // 12, months=months % 12)
    first = anchor - relativedelta(months=months)
    got = _dates.calendar_code_at(anchor, other)
    assert (got <= threshold) == (other >= first)
    assert (got < threshold) == (other > first)
    # And forward (time_until): from the anchor to a later date, at most n months iff not after anchor + n.
    if other >= anchor:
        last = anchor + relativedelta(months=months)
        assert (_dates.calendar_code(anchor, other) <= threshold) == (other <= last)


@PROPERTY
@given(DAYS, DAYS)
@example(dt.date(2008, 2, 29), dt.date(2026, 2, 27))
@example(dt.date(2008, 2, 29), dt.date(2026, 2, 28))
@example(dt.date(2008, 2, 29), dt.date(2028, 2, 28))
@example(dt.date(2008, 2, 29), dt.date(2028, 2, 29))
@example(dt.date(2008, 3, 1), dt.date(2008, 2, 29))
def test_full_years_is_an_age(birth: dt.date, on: dt.date) -> None:
    expected = max(0, relativedelta(on, birth).years)
    assert _dates.full_years(birth, on) == expected == oracle.age(birth, on)
    if birth <= on:  # a birthday: the same day of the month, 28 February for a 29 February birth in common years
        birthday = birth + relativedelta(years=expected)
        assert birthday <= on < birth + relativedelta(years=expected + 1)


def test_a_29_february_birthday_falls_on_28_february_in_common_years() -> None:
    born = dt.date(2008, 2, 29)
    assert [_dates.full_years(born, dt.date(2026, 2, d)) for d in (27, 28)] == [17, 18]
    assert [_dates.full_years(born, dt.date(2028, 2, d)) for d in (28, 29)] == [19, 20]


@PROPERTY
@given(DAYS, st.integers(0, 20), st.integers(0, 240), st.integers(0, 400))
def test_subtract_moves_back_calendar_wise(day: dt.date, years: int, months: int, days: int) -> None:
    expected = day - relativedelta(years=years, months=months) - dt.timedelta(days=days)
    assert _dates.subtract(day, years=years, months=months, days=days) == expected
    # as the measures call it: one unit at a time, the others left to their defaults
    assert (
        _dates.subtract(day, years=years) == day - relativedelta(years=years) == oracle.subtract(day, {"years": years})
    )
    assert _dates.subtract(day, months=months) == day - relativedelta(months=months)
    assert _dates.subtract(day, days=days) == day - dt.timedelta(days=days)
    if not months and not days:
        assert oracle.subtract(day, {"years": years}) == expected
    if not years and not days:
        assert oracle.subtract(day, {"months": months}) == expected


@PROPERTY
@given(st.integers(0, 100), st.integers(0, 1200))
def test_a_duration_code_counts_whole_months(years: int, months: int) -> None:
    """As the loader encodes thresholds: one unit at a time (``{years: 4}`` is 4 years and no month)."""
    assert _dates.duration_code(years=years) == code(years, 0, 0)
    assert _dates.duration_code(months=months) == code(months // 12, months % 12, 0)
    assert _dates.duration_code(years=years, months=months) == _dates.duration_code(months=12 * years + months)


def test_calendar_diff_refuses_an_end_before_its_start() -> None:
    with pytest.raises(ValueError, match="^end is before start$"):
        _dates.calendar_diff(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


@PROPERTY
@given(DAYS, DAYS, st.integers(0, 240))
def test_the_oracle_compares_times_like_the_engine_encodes_them(a: dt.date, b: dt.date, months: int) -> None:
    """The oracle's compare_time (dateutil) and the engine's codes order the same way."""
    start, end = min(a, b), max(a, b)
    threshold = _dates.duration_code(months=months)
    back = _dates.calendar_code_at(end, start)
    assert oracle.compare_time(start, end, {"months": months}) == (back > threshold) - (back < threshold)
    forward = _dates.calendar_code(start, end)
    sign = oracle.compare_time(start, end, {"months": months}, anchor="start")
    assert sign == (forward > threshold) - (forward < threshold)


@PROPERTY
@given(DAYS, DAYS)
def test_a_calendar_code_splits_back_into_its_years_months_and_days(a: dt.date, b: dt.date) -> None:
    start, end = min(a, b), max(a, b)
    rd = relativedelta(end, start)
    assert _dates.split_calendar_code(_dates.calendar_code(start, end)) == (rd.years, rd.months, rd.days)


@pytest.mark.parametrize(
    ("span", "iso"),
    [
        (TimeSpan(4, 2, 3), "P4Y2M3D"),
        (TimeSpan(1, 0, 5), "P1Y5D"),  # a zero part is left out
        (TimeSpan(0, 7, 0), "P7M"),
        (TimeSpan(days=20, negative=True), "-P20D"),
        (TimeSpan(), "P0D"),  # nothing at all is zero days, never a bare "P"
    ],
)
def test_a_time_span_is_written_in_iso_8601(span: TimeSpan, iso: str) -> None:
    # the form a measured time takes in the answer (`measured.value`)
    assert span.iso() == iso
