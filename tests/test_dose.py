"""Planned dose and dosing deviation (PROTOCOL §4). Expected values hand-computed."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosing.dose import dose_bounds, is_dose_deviation, planned_cells

D = Decimal
DOSE = 2_000_000


@pytest.mark.parametrize(
    ("weight", "dose", "expected"),
    [
        ("63.5", DOSE, 127_000_000),
        ("63.50", DOSE, 127_000_000),
        ("30.0", DOSE, 60_000_000),
        ("200.0", DOSE, 400_000_000),
        ("70.1", DOSE, 140_200_000),
        ("70", DOSE, 140_000_000),
        ("45.7", DOSE, 91_400_000),
        ("63.5", 1_500_000, 95_250_000),
    ],
)
def test_planned_cells(weight, dose, expected):
    result = planned_cells(D(weight), dose)
    assert result == expected
    assert type(result) is int


def test_planned_cells_int_weight():
    assert planned_cells(70, DOSE) == 140_000_000


@pytest.mark.parametrize(
    ("weight", "dose", "expected"),
    [
        ("2.5", 1, 3),  # 2.5 -> half up
        ("0.5", 3, 2),  # 1.5 -> half up
        ("63.55", 1, 64),  # 63.55 -> 64
        ("2.25", 1, 2),  # below half
        ("2.75", 1, 3),  # above half
        ("0.0000001", 4_000_000, 0),  # 0.4 -> 0
        ("63.4999999", 10, 635),  # 634.999999 -> 635
    ],
)
def test_planned_cells_rounds_half_up(weight, dose, expected):
    assert planned_cells(D(weight), dose) == expected


@pytest.mark.parametrize("weight", ["0", "0.0", "-0.1", "-63.5"])
def test_planned_cells_bad_weight(weight):
    with pytest.raises(ValueError, match="weight_kg"):
        planned_cells(D(weight), DOSE)


@pytest.mark.parametrize("weight", ["NaN", "Infinity"])
def test_planned_cells_non_finite_weight(weight):
    with pytest.raises(ValueError, match="weight_kg"):
        planned_cells(D(weight), DOSE)


@pytest.mark.parametrize("dose", [0, -2_000_000])
def test_planned_cells_bad_dose(dose):
    with pytest.raises(ValueError, match="dose_per_kg_cells"):
        planned_cells(D("63.5"), dose)


@pytest.mark.parametrize(
    ("weight", "dose"),
    [(63.5, DOSE), (True, DOSE), (D("63.5"), 2e6), (D("63.5"), True)],
)
def test_planned_cells_rejects_floats_and_bools(weight, dose):
    with pytest.raises(TypeError):
        planned_cells(weight, dose)


# --- tolerance ------------------------------------------------------------------------


def test_dose_bounds_protocol_example():
    assert dose_bounds(127_000_000, 10) == (114_300_000, 139_700_000)


@pytest.mark.parametrize(
    ("administered", "deviation"),
    [
        (127_000_000, False),
        (114_300_000, False),  # exactly -10 %
        (139_700_000, False),  # exactly +10 %
        (114_299_999, True),
        (139_700_001, True),
        (114_300_001, False),
        (139_699_999, False),
        (0, True),
        (254_000_000, True),
    ],
)
def test_is_dose_deviation_edges(administered, deviation):
    assert is_dose_deviation(127_000_000, administered, 10) is deviation


def test_bounds_when_ten_percent_is_not_whole():
    # 10 % of 140 200 001 = 14 020 000.1 -> at most 14 020 000 cells either way
    assert dose_bounds(140_200_001, 10) == (126_180_001, 154_220_001)
    assert is_dose_deviation(140_200_001, 126_180_001, 10) is False
    assert is_dose_deviation(140_200_001, 126_180_000, 10) is True
    assert is_dose_deviation(140_200_001, 154_220_001, 10) is False
    assert is_dose_deviation(140_200_001, 154_220_002, 10) is True


def test_zero_tolerance():
    assert dose_bounds(60_000_000, 0) == (60_000_000, 60_000_000)
    assert is_dose_deviation(60_000_000, 60_000_000, 0) is False
    assert is_dose_deviation(60_000_000, 59_999_999, 0) is True
    assert is_dose_deviation(60_000_000, 60_000_001, 0) is True


def test_other_tolerance():
    # 15 % of 60 000 000 = 9 000 000
    assert dose_bounds(60_000_000, 15) == (51_000_000, 69_000_000)
    assert dose_bounds(60_000_000, 100) == (0, 120_000_000)


@pytest.mark.parametrize("tolerance", [-1, 101])
def test_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match="tolerance_percent"):
        dose_bounds(127_000_000, tolerance)
    with pytest.raises(ValueError, match="tolerance_percent"):
        is_dose_deviation(127_000_000, 127_000_000, tolerance)


@pytest.mark.parametrize("planned", [0, -1])
def test_bad_planned(planned):
    with pytest.raises(ValueError, match="planned"):
        dose_bounds(planned, 10)
    with pytest.raises(ValueError, match="planned"):
        is_dose_deviation(planned, 1, 10)


def test_bad_administered():
    with pytest.raises(ValueError, match="administered"):
        is_dose_deviation(127_000_000, -1, 10)
    with pytest.raises(TypeError, match="administered"):
        is_dose_deviation(127_000_000, 127_000_000.0, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tolerance_percent"):
        is_dose_deviation(127_000_000, 127_000_000, 10.0)  # type: ignore[arg-type]


@given(
    planned=st.integers(1, 10**12),
    tolerance=st.integers(0, 100),
    offset=st.integers(-3, 3),
)
def test_bounds_consistent_with_deviation(planned, tolerance, offset):
    low, high = dose_bounds(planned, tolerance)
    assert low <= planned <= high
    assert is_dose_deviation(planned, low, tolerance) is False
    assert is_dose_deviation(planned, high, tolerance) is False
    if low > 0:
        assert is_dose_deviation(planned, low - 1, tolerance) is True
    assert is_dose_deviation(planned, high + 1, tolerance) is True
    for administered in (low + offset, high + offset):
        if administered >= 0:
            inside = low <= administered <= high
            assert is_dose_deviation(planned, administered, tolerance) is not inside


@given(
    planned=st.integers(1, 10**10),
    tolerance=st.integers(0, 100),
    administered=st.integers(0, 2 * 10**10),
)
def test_deviation_matches_bounds_anywhere(planned, tolerance, administered):
    low, high = dose_bounds(planned, tolerance)
    assert is_dose_deviation(planned, administered, tolerance) is not (low <= administered <= high)
