"""PASI scoring and efficacy (PROTOCOL §5). Expected values are hand-computed."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.pasi import (
    REGIONS,
    RESPONDER_THRESHOLDS,
    RegionScores,
    area_score,
    improvement_percent,
    is_responder,
    mean_improvement,
    pasi_total,
    region_subtotal,
    responder_flags,
)

D = Decimal


def rs(e: int, i: int, d: int, a: int) -> RegionScores:
    return RegionScores(erythema=e, induration=i, desquamation=d, area_score=a)


def regions(head, upper, trunk, lower) -> dict:
    return {"head": head, "upper_limbs": upper, "trunk": trunk, "lower_limbs": lower}


ZERO = rs(0, 0, 0, 0)
FULL = rs(4, 4, 4, 6)


# --- constants ------------------------------------------------------------------------


# --- area score -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        ("0", 0),
        ("0.0", 0),
        ("0.01", 1),
        ("0.1", 1),
        ("9.9", 1),
        ("9.99", 1),
        ("10", 2),
        ("10.0", 2),
        ("29.9", 2),
        ("30", 3),
        ("49.9", 3),
        ("50", 4),
        ("69.9", 4),
        ("70", 5),
        ("89.9", 5),
        ("90", 6),
        ("99.9", 6),
        ("100", 6),
        ("100.0", 6),
    ],
)
def test_area_score_bands(percent, expected):
    assert area_score(D(percent)) == expected


def test_area_score_accepts_int():
    assert area_score(10) == 2


@pytest.mark.parametrize("percent", ["-0.1", "100.1", "-1", "1000"])
def test_area_score_out_of_range(percent):
    with pytest.raises(ValueError, match="area_percent"):
        area_score(D(percent))


@pytest.mark.parametrize("percent", ["NaN", "Infinity", "-Infinity"])
def test_area_score_not_finite(percent):
    with pytest.raises(ValueError, match="area_percent"):
        area_score(D(percent))


@pytest.mark.parametrize("bad", [10.0, True, "10", None])
def test_area_score_rejects_non_decimal(bad):
    with pytest.raises(TypeError, match="area_percent"):
        area_score(bad)


# --- RegionScores validation ----------------------------------------------------------


@pytest.mark.parametrize("field", ["erythema", "induration", "desquamation"])
@pytest.mark.parametrize("bad", [-1, 5, True, False, 2.0, "2", None])
def test_region_scores_item_rejected(field, bad):
    values = {
        "erythema": 1,
        "induration": 1,
        "desquamation": 1,
        "area_score": 1,
        field: bad,
    }
    with pytest.raises(ValueError, match=field):
        RegionScores(**values)


@pytest.mark.parametrize("bad", [-1, 7, True, 3.0, None])
def test_region_scores_area_rejected(bad):
    with pytest.raises(ValueError, match="area_score"):
        RegionScores(erythema=1, induration=1, desquamation=1, area_score=bad)


def test_region_scores_extremes_accepted():
    assert rs(0, 0, 0, 0).item_sum == 0
    assert rs(4, 4, 4, 6).item_sum == 12


def test_region_scores_frozen():
    scores = rs(1, 1, 1, 1)
    with pytest.raises(AttributeError):
        scores.erythema = 2  # type: ignore[misc]


# --- region subtotal ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "scores", "expected"),
    [
        ("head", rs(4, 4, 4, 6), "7.2"),  # 0.1 x 12 x 6
        ("upper_limbs", rs(4, 4, 4, 6), "14.4"),  # 0.2 x 12 x 6
        ("trunk", rs(4, 4, 4, 6), "21.6"),  # 0.3 x 12 x 6
        ("lower_limbs", rs(4, 4, 4, 6), "28.8"),  # 0.4 x 12 x 6
        ("trunk", rs(2, 2, 2, 1), "1.8"),  # 0.3 x 6 x 1
        ("upper_limbs", rs(3, 2, 2, 3), "4.2"),  # 0.2 x 7 x 3
        ("head", rs(3, 3, 3, 0), "0.0"),  # area 0 contributes 0
        ("lower_limbs", rs(0, 0, 0, 6), "0.0"),  # items 0 contribute 0
    ],
)
def test_region_subtotal(region, scores, expected):
    result = region_subtotal(region, scores)
    assert result == D(expected)
    assert str(result) == expected


def test_region_subtotal_unknown_region():
    with pytest.raises(ValueError, match="head_neck"):
        region_subtotal("head_neck", rs(1, 1, 1, 1))


# --- PASI total -----------------------------------------------------------------------


def test_pasi_maximum_is_72():
    result = pasi_total(regions(FULL, FULL, FULL, FULL))
    assert result == D("72.0")
    assert str(result) == "72.0"


def test_pasi_minimum_is_zero_with_one_decimal():
    result = pasi_total(regions(ZERO, ZERO, ZERO, ZERO))
    assert result == D("0.0")
    assert str(result) == "0.0"


@pytest.mark.parametrize(
    ("head", "upper", "trunk", "lower", "expected"),
    [
        # 0.1x4x2 + 0.2x7x3 + 0.3x6x4 + 0.4x9x5 = 0.8 + 4.2 + 7.2 + 18.0
        (rs(2, 1, 1, 2), rs(3, 2, 2, 3), rs(2, 2, 2, 4), rs(3, 3, 3, 5), "30.2"),
        # head area 0: 0 + 0.2x3x1 + 0.3x3x2 + 0.4x4x3 = 0 + 0.6 + 1.8 + 4.8
        (rs(3, 3, 3, 0), rs(1, 1, 1, 1), rs(2, 1, 0, 2), rs(1, 2, 1, 3), "7.2"),
        # float sum 1.0 + 0.8 + 0.0 + 28.800000000000004 = 30.600000000000005
        (rs(4, 3, 3, 1), rs(1, 1, 0, 2), rs(1, 1, 0, 0), FULL, "30.6"),
        # floats: 0 + 0 + 1.7999999999999998 + 28.800000000000004 = 30.600000000000005
        (rs(0, 0, 0, 6), rs(4, 4, 4, 0), rs(2, 2, 2, 1), FULL, "30.6"),
        # all ones: 0.3 + 0.6 + 0.9 + 1.2
        (rs(1, 1, 1, 1), rs(1, 1, 1, 1), rs(1, 1, 1, 1), rs(1, 1, 1, 1), "3.0"),
        # only the head at maximum: 0.1 x 12 x 6
        (FULL, ZERO, ZERO, ZERO, "7.2"),
        # smallest non-zero from the head: 0.1 x 1 x 1
        (rs(1, 0, 0, 1), ZERO, ZERO, ZERO, "0.1"),
        # 0.1x6x3 + 0.2x8x4 + 0.3x5x2 + 0.4x10x6 = 1.8 + 6.4 + 3.0 + 24.0
        (rs(2, 2, 2, 3), rs(3, 3, 2, 4), rs(2, 2, 1, 2), rs(4, 3, 3, 6), "35.2"),
    ],
)
def test_pasi_total_hand_computed(head, upper, trunk, lower, expected):
    result = pasi_total(regions(head, upper, trunk, lower))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize("missing", ["head", "upper_limbs", "trunk", "lower_limbs"])
def test_pasi_total_region_none_is_missing(missing):
    data = regions(FULL, FULL, FULL, FULL)
    data[missing] = None
    assert pasi_total(data) is None


@pytest.mark.parametrize("missing", ["head", "upper_limbs", "trunk", "lower_limbs"])
def test_pasi_total_region_absent_is_missing(missing):
    data = regions(FULL, FULL, FULL, FULL)
    del data[missing]
    assert pasi_total(data) is None


def test_pasi_total_empty_is_missing():
    assert pasi_total({}) is None


def test_pasi_total_unknown_region_rejected():
    data = regions(FULL, FULL, FULL, FULL)
    data["head_neck"] = FULL
    with pytest.raises(ValueError, match="head_neck"):
        pasi_total(data)


region_scores_st = st.builds(
    RegionScores,
    erythema=st.integers(0, 4),
    induration=st.integers(0, 4),
    desquamation=st.integers(0, 4),
    area_score=st.integers(0, 6),
)


@given(st.tuples(region_scores_st, region_scores_st, region_scores_st, region_scores_st))
def test_pasi_total_property(scores):
    data = dict(zip(REGIONS, scores, strict=True))
    total = pasi_total(data)
    assert total == sum((region_subtotal(r, s) for r, s in data.items()), D("0.0"))
    assert D("0.0") <= total <= D("72.0")
    assert total.as_tuple().exponent == -1


@given(st.decimals(min_value=0, max_value=100, places=1))
def test_area_score_monotone_property(percent):
    score = area_score(percent)
    assert 0 <= score <= 6
    assert (score == 0) == (percent == 0)
    if percent < 100:
        assert area_score(percent + D("0.1")) >= score


# --- improvement and responders -------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "value", "expected"),
    [
        ("20.0", "10.0", "50.0"),
        ("20.0", "10.1", "49.5"),
        ("20.0", "5.0", "75.0"),
        ("20.0", "5.1", "74.5"),
        ("20.0", "2.0", "90.0"),
        ("20.0", "2.1", "89.5"),
        ("20.0", "0.0", "100.0"),
        ("20.0", "0.1", "99.5"),
        ("20.0", "20.0", "0.0"),
        ("10.0", "12.5", "-25.0"),  # worse: kept negative
        ("30.0", "29.9", "0.3"),  # 0.3333... -> 0.3
        ("3.0", "2.0", "33.3"),  # 33.333...
        ("3.0", "1.0", "66.7"),  # 66.666...
        ("7.0", "0.1", "98.6"),  # 98.5714...
        (
            "40.0",
            "39.9",
            "0.3",
        ),  # exactly 0.25 -> away from zero (half-even would give 0.2)
        ("40.0", "39.7", "0.8"),  # exactly 0.75 -> 0.8
        ("40.0", "40.1", "-0.3"),  # exactly -0.25 -> away from zero
        ("40.0", "40.3", "-0.8"),  # exactly -0.75 -> -0.8
        ("80.0", "79.9", "0.1"),  # 0.125 -> 0.1 (below half)
        ("20.00", "10.01", "50.0"),  # exactly 49.95 -> 50.0 for display
        ("7.1", "72.0", "-914.1"),  # -914.0845...
    ],
)
def test_improvement_percent(baseline, value, expected):
    result = improvement_percent(D(baseline), D(value))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("sum_tenths", "count", "expected"),
    [
        (350, 2, D("17.5")),  # (25.0 + 10.0) / 2
        (1010, 3, D("33.7")),  # (-0.3 + 1.3 + 100.0) / 3 = 33.67
        (5, 2, D("0.3")),  # 0.25: half away from zero
        (-5, 2, D("-0.3")),  # -0.25
        (-3, 2, D("-0.2")),  # -0.15
        (-10, 2, D("-0.5")),
        (1, 3, D("0.0")),  # 0.033
        (2, 3, D("0.1")),  # 0.067
        (-1, 3, D("0.0")),  # -0.033: no negative zero
        (1000, 1, D("100.0")),
        (15, 20000, D("0.0")),  # 0.000075
        (10001, 20000, D("0.1")),  # 0.050005: just over half a tenth
    ],
)
def test_mean_improvement_hand_computed(sum_tenths, count, expected):
    assert mean_improvement(sum_tenths, count) == expected
    assert str(mean_improvement(sum_tenths, count)) == str(expected)


def test_mean_improvement_of_no_assessment_is_undefined():
    assert mean_improvement(0, 0) is None


@pytest.mark.parametrize(
    ("baseline", "value"),
    [
        (None, D("10.0")),
        (D("0.0"), D("0.0")),
        (D("0"), D("3.0")),
        (D("10.0"), None),
        (None, None),
    ],
)
def test_improvement_percent_undefined(baseline, value):
    assert improvement_percent(baseline, value) is None
    assert responder_flags(baseline, value) == {
        "pasi50": None,
        "pasi75": None,
        "pasi90": None,
        "pasi100": None,
    }
    assert is_responder(baseline, value, 75) is None


@pytest.mark.parametrize(
    ("baseline", "value", "flags"),
    [
        ("20.0", "10.0", (True, False, False, False)),
        ("20.0", "10.1", (False, False, False, False)),
        ("20.0", "5.0", (True, True, False, False)),
        ("20.0", "5.1", (True, False, False, False)),
        ("20.0", "2.0", (True, True, True, False)),
        ("20.0", "2.1", (True, True, False, False)),
        ("20.0", "0.0", (True, True, True, True)),
        ("20.0", "0.1", (True, True, True, False)),
        ("10.0", "12.5", (False, False, False, False)),
        ("20.0", "20.0", (False, False, False, False)),
        # exact 50 % / 75 % where (b - v) / b in floats is fragile
        ("30.6", "15.3", (True, False, False, False)),
        ("12.4", "3.1", (True, True, False, False)),
        # displays as 50.0 but is 49.95 %: not a responder
        ("20.00", "10.01", (False, False, False, False)),
    ],
)
def test_responder_flags(baseline, value, flags):
    expected = dict(zip(("pasi50", "pasi75", "pasi90", "pasi100"), flags, strict=True))
    assert responder_flags(D(baseline), D(value)) == expected


def test_is_responder_exact_threshold():
    assert is_responder(D("20.0"), D("10.0"), 50) is True
    assert is_responder(D("20.0"), D("10.1"), 50) is False
    assert is_responder(D("12.4"), D("3.1"), 75) is True
    assert is_responder(D("12.4"), D("3.2"), 75) is False


@pytest.mark.parametrize("bad", [-1, 101, True, 50.0])
def test_is_responder_bad_threshold(bad):
    with pytest.raises(ValueError, match="threshold"):
        is_responder(D("20.0"), D("10.0"), bad)


@pytest.mark.parametrize(("baseline", "value"), [("-1.0", "1.0"), ("10.0", "-0.1")])
def test_negative_pasi_rejected(baseline, value):
    with pytest.raises(ValueError):
        improvement_percent(D(baseline), D(value))


def test_float_pasi_rejected():
    with pytest.raises(TypeError):
        improvement_percent(20.0, D("10.0"))  # type: ignore[arg-type]


pasi_st = st.integers(0, 720).map(lambda tenths: D(tenths).scaleb(-1))


@given(pasi_st, pasi_st)
def test_responder_never_contradicts_rounded_improvement(baseline, value):
    improvement = improvement_percent(baseline, value)
    flags = responder_flags(baseline, value)
    if baseline == 0:
        assert improvement is None
        return
    assert improvement.as_tuple().exponent == -1
    for threshold in RESPONDER_THRESHOLDS:
        if flags[f"pasi{threshold}"]:
            assert improvement >= threshold
        if improvement < threshold:
            assert flags[f"pasi{threshold}"] is False
