"""Partial dates (CRF: year or year-month allowed) and period consistency."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medications.partial_dates import PartialDate, as_partial, period_errors

P = PartialDate.parse


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-04", date(2024, 4, 1), date(2024, 4, 30)),
        ("2024-12", date(2024, 12, 1), date(2024, 12, 31)),
        ("2024-03-15", date(2024, 3, 15), date(2024, 3, 15)),
        (" 2024-03 ", date(2024, 3, 1), date(2024, 3, 31)),
    ],
)
def test_earliest_and_latest(text, earliest, latest):
    partial = P(text)
    assert (partial.earliest, partial.latest) == (earliest, latest)


@pytest.mark.parametrize(
    ("partial", "text", "complete"),
    [
        (PartialDate(2024), "2024", False),
        (PartialDate(2024, 3), "2024-03", False),
        (PartialDate(2024, 3, 5), "2024-03-05", True),
        (PartialDate(987), "0987", False),
    ],
)
def test_isoformat(partial, text, complete):
    assert partial.isoformat() == text == str(partial)
    assert partial.is_complete is complete
    assert P(text) == partial


@pytest.mark.parametrize(
    "text",
    ["", "24", "2024-3", "2024-13", "2024-00", "2024-02-30", "2023-02-29", "2024/03", "2024-03-15T10:00", "March"],
)
def test_parse_refuses(text):
    with pytest.raises(ValueError):
        P(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2024, None, 5), "a day needs a month"),
        ((0,), "year"),
        ((2024, 13), "month"),
        ((2024, 2, 30), "day must be an integer 1-29 in 2024-02"),
        ((True,), "year"),
    ],
)
def test_constructor_validates(args, message):
    with pytest.raises(ValueError, match=message):
        PartialDate(*args)


def test_as_partial():
    assert as_partial(date(2024, 3, 5)) == PartialDate(2024, 3, 5)
    assert as_partial(PartialDate(2024)) == PartialDate(2024)
    with pytest.raises(TypeError):
        as_partial("2024")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_lies_within_each_of_its_partial_forms(day):
    for partial in (PartialDate(day.year), PartialDate(day.year, day.month), PartialDate.from_date(day)):
        assert partial.earliest <= day <= partial.latest
    assert PartialDate.from_date(day).earliest == PartialDate.from_date(day).latest == day


# --- period consistency --------------------------------------------------------------------

TODAY = date(2024, 6, 15)


def test_a_consistent_period():
    assert period_errors(P("2024-03"), date(2024, 5, 1), ongoing=False, today=TODAY) == {}
    assert period_errors(P("2024"), None, ongoing=True, today=TODAY) == {}


@pytest.mark.parametrize(
    ("start", "end", "ongoing", "fields"),
    [
        (date(2024, 6, 16), None, True, {"start_date"}),  # future start
        (P("2024-07"), None, True, {"start_date"}),  # earliest day is after today
        (date(2024, 5, 1), date(2024, 6, 16), False, {"end_date"}),  # future end
        (date(2024, 5, 1), date(2024, 5, 2), True, {"end_date"}),  # ongoing with an end
        (date(2024, 5, 1), None, False, {"ongoing"}),  # neither end nor ongoing
        (date(2024, 5, 2), date(2024, 5, 1), False, {"end_date"}),  # end before start
        (P("2024-05"), P("2024-04"), False, {"end_date"}),  # certainly before
    ],
)
def test_period_errors(start, end, ongoing, fields):
    assert set(period_errors(start, end, ongoing=ongoing, today=TODAY)) == fields


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (P("2024-06"), TODAY),  # this month, possibly today
        (P("2024"), date(2024, 1, 1)),  # the start may be 1 January
        (date(2024, 5, 20), P("2024-05")),  # the end may be 31 May
        (date(2024, 5, 1), date(2024, 5, 1)),  # same day
    ],
)
def test_partial_dates_are_refused_only_when_certainly_wrong(start, end):
    assert period_errors(start, end, ongoing=False, today=TODAY) == {}
