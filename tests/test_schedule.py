"""Visit schedule, windows, study day, visit states (PROTOCOL §3); dates by hand."""

from datetime import date

import pytest

from subjects.schedule import (
    PROTOCOL_VISITS,
    PlannedVisit,
    VisitRule,
    is_in_window,
    plan_visits,
    study_day,
    visit_state,
)


def plan(screening, planned_day1, day1=None, window=28, rules=PROTOCOL_VISITS):
    return plan_visits(
        rules,
        screening_date=screening,
        planned_day1=planned_day1,
        day1=day1,
        screening_window_days=window,
    )


def as_rows(visits):
    return [(v.code, v.visitnum, v.target_date, v.window_start, v.window_end) for v in visits]


# --- protocol defaults ----------------------------------------------------------------


def test_protocol_visits():
    expected = (  # code, visitnum, week, before, after, dosing
        VisitRule("SCR", 0, None, 0, 0, False),
        VisitRule("W0", 1, 0, 0, 0, True),
        VisitRule("W2", 2, 2, 3, 3, True),
        VisitRule("W4", 3, 4, 3, 3, True),
        VisitRule("W6", 4, 6, 3, 3, True),
        VisitRule("W8", 5, 8, 3, 3, True),
        VisitRule("W12", 6, 12, 3, 3, False),
    )
    assert tuple(PROTOCOL_VISITS) == expected
    assert sum(rule.dosing for rule in PROTOCOL_VISITS) == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"code": ""},
        {"visitnum": -1},
        {"week": -1},
        {"window_before_days": -1},
        {"window_after_days": -1},
    ],
)
def test_visit_rule_validation(kwargs):
    values = {
        "code": "W2",
        "visitnum": 2,
        "week": 2,
        "window_before_days": 3,
        "window_after_days": 3,
        "dosing": True,
        **kwargs,
    }
    with pytest.raises(ValueError):
        VisitRule(**values)


# --- planning -------------------------------------------------------------------------


def test_plan_from_planned_day1_leap_year_march():
    visits = plan(date(2024, 2, 20), date(2024, 3, 4))
    assert all(isinstance(v, PlannedVisit) for v in visits)
    assert as_rows(visits) == [
        ("SCR", 0, date(2024, 2, 20), date(2024, 2, 5), date(2024, 3, 3)),
        ("W0", 1, date(2024, 3, 4), date(2024, 2, 21), date(2024, 3, 19)),
        ("W2", 2, date(2024, 3, 18), date(2024, 3, 15), date(2024, 3, 21)),
        ("W4", 3, date(2024, 4, 1), date(2024, 3, 29), date(2024, 4, 4)),
        ("W6", 4, date(2024, 4, 15), date(2024, 4, 12), date(2024, 4, 18)),
        ("W8", 5, date(2024, 4, 29), date(2024, 4, 26), date(2024, 5, 2)),
        ("W12", 6, date(2024, 5, 27), date(2024, 5, 24), date(2024, 5, 30)),
    ]


def test_actual_day1_same_as_planned_changes_nothing():
    assert plan(date(2024, 2, 20), date(2024, 3, 4), day1=date(2024, 3, 4)) == plan(date(2024, 2, 20), date(2024, 3, 4))


def test_reanchor_on_later_actual_day1():
    visits = plan(date(2024, 2, 20), date(2024, 3, 4), day1=date(2024, 3, 7))
    assert as_rows(visits) == [
        # screening window stays on the planned Day 1; W0 window stays on screening
        ("SCR", 0, date(2024, 2, 20), date(2024, 2, 5), date(2024, 3, 3)),
        ("W0", 1, date(2024, 3, 7), date(2024, 2, 21), date(2024, 3, 19)),
        ("W2", 2, date(2024, 3, 21), date(2024, 3, 18), date(2024, 3, 24)),
        ("W4", 3, date(2024, 4, 4), date(2024, 4, 1), date(2024, 4, 7)),
        ("W6", 4, date(2024, 4, 18), date(2024, 4, 15), date(2024, 4, 21)),
        ("W8", 5, date(2024, 5, 2), date(2024, 4, 29), date(2024, 5, 5)),
        ("W12", 6, date(2024, 5, 30), date(2024, 5, 27), date(2024, 6, 2)),
    ]


def test_reanchor_on_earlier_actual_day1():
    visits = {v.code: v for v in plan(date(2024, 2, 20), date(2024, 3, 4), day1=date(2024, 2, 28))}
    assert visits["W0"].target_date == date(2024, 2, 28)
    assert visits["W2"].target_date == date(2024, 3, 13)
    assert visits["W12"].target_date == date(2024, 5, 22)
    assert (visits["W12"].window_start, visits["W12"].window_end) == (
        date(2024, 5, 19),
        date(2024, 5, 25),
    )
    assert (visits["SCR"].window_start, visits["SCR"].window_end) == (
        date(2024, 2, 5),
        date(2024, 3, 3),
    )


def test_year_boundary():
    visits = plan(date(2024, 12, 1), date(2024, 12, 20))
    assert as_rows(visits) == [
        ("SCR", 0, date(2024, 12, 1), date(2024, 11, 22), date(2024, 12, 19)),
        ("W0", 1, date(2024, 12, 20), date(2024, 12, 2), date(2024, 12, 29)),
        ("W2", 2, date(2025, 1, 3), date(2024, 12, 31), date(2025, 1, 6)),
        ("W4", 3, date(2025, 1, 17), date(2025, 1, 14), date(2025, 1, 20)),
        ("W6", 4, date(2025, 1, 31), date(2025, 1, 28), date(2025, 2, 3)),
        ("W8", 5, date(2025, 2, 14), date(2025, 2, 11), date(2025, 2, 17)),
        ("W12", 6, date(2025, 3, 14), date(2025, 3, 11), date(2025, 3, 17)),
    ]


def test_leap_february():
    visits = plan(date(2024, 1, 10), date(2024, 2, 1))
    assert as_rows(visits) == [
        ("SCR", 0, date(2024, 1, 10), date(2024, 1, 4), date(2024, 1, 31)),
        ("W0", 1, date(2024, 2, 1), date(2024, 1, 11), date(2024, 2, 7)),
        ("W2", 2, date(2024, 2, 15), date(2024, 2, 12), date(2024, 2, 18)),
        ("W4", 3, date(2024, 2, 29), date(2024, 2, 26), date(2024, 3, 3)),
        ("W6", 4, date(2024, 3, 14), date(2024, 3, 11), date(2024, 3, 17)),
        ("W8", 5, date(2024, 3, 28), date(2024, 3, 25), date(2024, 3, 31)),
        ("W12", 6, date(2024, 4, 25), date(2024, 4, 22), date(2024, 4, 28)),
    ]


def test_non_leap_february():
    visits = {v.code: v for v in plan(date(2023, 1, 10), date(2023, 2, 1))}
    assert (
        visits["W4"].target_date,
        visits["W4"].window_start,
        visits["W4"].window_end,
    ) == (
        date(2023, 3, 1),
        date(2023, 2, 26),
        date(2023, 3, 4),
    )
    assert visits["W12"].target_date == date(2023, 4, 26)


def test_configured_windows_and_screening_window():
    rules = (
        VisitRule("W12", 6, 12, 7, 2, False),
        VisitRule("W0", 1, 0, 0, 0, True),
        VisitRule("SCR", 0, None, 0, 0, False),
    )
    visits = plan(date(2024, 2, 20), date(2024, 3, 4), window=14, rules=rules)
    assert as_rows(visits) == [  # sorted by visitnum whatever the input order
        ("SCR", 0, date(2024, 2, 20), date(2024, 2, 19), date(2024, 3, 3)),
        ("W0", 1, date(2024, 3, 4), date(2024, 2, 21), date(2024, 3, 5)),
        ("W12", 6, date(2024, 5, 27), date(2024, 5, 20), date(2024, 5, 29)),
    ]


def test_plan_rejects_bad_screening_window():
    with pytest.raises(ValueError):
        plan(date(2024, 2, 20), date(2024, 3, 4), window=0)


# --- study day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 3, 3), -1),
        (date(2024, 3, 4), 1),
        (date(2024, 3, 5), 2),
        (date(2024, 3, 18), 15),  # W2 target
        (date(2024, 5, 27), 85),  # W12 target
        (date(2024, 2, 5), -28),
        (date(2025, 3, 4), 366),
        (date(2023, 3, 4), -366),  # spans 29 Feb 2024
        (date(2034, 3, 4), 3653),  # 3652 days: leap days 2028 and 2032
    ],
)
def test_study_day(on, expected):
    assert study_day(on, date(2024, 3, 4)) == expected


def test_study_day_without_day1():
    assert study_day(date(2024, 3, 4), None) is None


# --- windows and states ---------------------------------------------------------------

START, END = date(2024, 3, 15), date(2024, 3, 21)


@pytest.mark.parametrize(
    ("on", "inside"),
    [
        (date(2024, 3, 14), False),
        (date(2024, 3, 15), True),
        (date(2024, 3, 18), True),
        (date(2024, 3, 21), True),
        (date(2024, 3, 22), False),
    ],
)
def test_is_in_window(on, inside):
    assert is_in_window(on, START, END) is inside


def state(today, actual=None, not_done=False, start=START, end=END):
    return visit_state(
        today=today,
        window_start=start,
        window_end=end,
        actual_date=actual,
        not_done=not_done,
    )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 3, 1), "scheduled"),
        (date(2024, 3, 14), "scheduled"),  # day before the window opens
        (date(2024, 3, 15), "open"),  # first day
        (date(2024, 3, 18), "open"),
        (date(2024, 3, 21), "open"),  # last day
        (date(2024, 3, 22), "missed"),  # day after
        (date(2025, 1, 1), "missed"),
    ],
)
def test_state_without_visit(today, expected):
    assert state(today) == expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (date(2024, 3, 15), "done"),
        (date(2024, 3, 18), "done"),
        (date(2024, 3, 21), "done"),
        (date(2024, 3, 14), "done_out_of_window"),
        (date(2024, 3, 22), "done_out_of_window"),
        (date(2024, 2, 1), "done_out_of_window"),
    ],
)
@pytest.mark.parametrize("today", [date(2024, 3, 14), date(2024, 3, 18), date(2024, 3, 22), date(2024, 6, 1)])
def test_state_with_actual_date(actual, expected, today):
    assert state(today, actual=actual) == expected


@pytest.mark.parametrize("today", [date(2024, 3, 14), date(2024, 3, 18), date(2024, 3, 22)])
def test_state_not_done(today):
    assert state(today, not_done=True) == "not_done"


def test_single_day_window():
    day = date(2024, 3, 4)
    assert state(date(2024, 3, 3), start=day, end=day) == "scheduled"
    assert state(day, start=day, end=day) == "open"
    assert state(date(2024, 3, 5), start=day, end=day) == "missed"
    assert state(date(2024, 3, 5), actual=day, start=day, end=day) == "done"


def test_state_rejects_inverted_window():
    with pytest.raises(ValueError):
        state(date(2024, 3, 18), start=END, end=START)


def test_state_rejects_done_and_not_done():
    with pytest.raises(ValueError):
        state(date(2024, 3, 18), actual=date(2024, 3, 18), not_done=True)
