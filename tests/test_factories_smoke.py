"""The shared test factory builds a protocol-shaped participant (guards every other test's setup)."""

from datetime import date

from tests import factories


def test_enrolled_participant_has_protocol_visits(coordinator):
    p = factories.enrolled_participant(coordinator, planned_day1=date(2024, 1, 10))
    visits = {v.visit_code: (v.target_date, v.window_start, v.window_end) for v in p.visits.all()}
    assert visits["W2"] == (date(2024, 1, 24), date(2024, 1, 21), date(2024, 1, 27))
    assert visits["W12"] == (date(2024, 4, 3), date(2024, 3, 31), date(2024, 4, 6))
    assert p.usubjid == "S2018-11-01-001"
    assert p.subject_label == "S2018-11-001"
    assert p.history.count() == 2  # created, then enrolled with a reason
