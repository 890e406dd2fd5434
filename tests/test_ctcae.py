"""CTCAE v5.0 grading, baseline and AE prompt (PROTOCOL §8).

Every threshold of every test is checked exactly on it and on both sides; the thresholds are
multiplied out by hand in the comments (a value exactly on a threshold takes the lower grade).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.catalogue import DECREASED, LAB_TESTS, to_standard
from labs.ctcae import baseline_result, ctcae_grade, prompts_adverse_event
from labs.ranges import HIGH, LOW, NormalRange, normal_flag, range_in_force

D = Decimal


def grade(test_code, value, lln, uln, **baseline):
    return ctcae_grade(test_code, D(value), lln=D(lln), uln=D(uln), **baseline)


# --- decreased tests: < LLN, then absolute thresholds ------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("175.1", 0),  # high haemoglobin is not graded
        ("130.1", 0),
        ("130", 0),  # = LLN
        ("129.9", 1),
        ("100.1", 1),
        ("100", 1),  # = 100 g/L
        ("99.9", 2),
        ("80.1", 2),
        ("80", 2),  # = 80 g/L
        ("79.9", 3),
        ("0", 3),  # grade 4 and 5 are clinical, never derived
    ],
)
def test_hgb(value, expected):
    assert grade("HGB", value, "130", "175") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3.51", 0),
        ("3.5", 0),  # = LLN
        ("3.49", 1),
        ("3.01", 1),
        ("3.0", 1),
        ("2.99", 2),
        ("2.01", 2),
        ("2.0", 2),
        ("1.99", 3),
        ("1.01", 3),
        ("1.0", 3),
        ("0.99", 4),
        ("0", 4),
    ],
)
def test_wbc(value, expected):
    assert grade("WBC", value, "3.5", "9.5") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.81", 0),
        ("1.8", 0),  # = LLN
        ("1.79", 1),
        ("1.51", 1),
        ("1.5", 1),
        ("1.49", 2),
        ("1.01", 2),
        ("1.0", 2),
        ("0.99", 3),
        ("0.51", 3),
        ("0.5", 3),
        ("0.49", 4),
        ("0", 4),
    ],
)
def test_neut(value, expected):
    assert grade("NEUT", value, "1.8", "6.3") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.11", 0),
        ("1.1", 0),  # = LLN
        ("1.09", 1),
        ("0.81", 1),
        ("0.8", 1),
        ("0.79", 2),
        ("0.51", 2),
        ("0.5", 2),
        ("0.49", 3),
        ("0.21", 3),
        ("0.2", 3),
        ("0.19", 4),
        ("0", 4),
    ],
)
def test_lym(value, expected):
    assert grade("LYM", value, "1.1", "3.2") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("126", 0),
        ("125", 0),  # = LLN
        ("124.9", 1),
        ("76", 1),
        ("75", 1),
        ("74.9", 2),
        ("51", 2),
        ("50", 2),
        ("49.9", 3),
        ("26", 3),
        ("25", 3),
        ("24.9", 4),
        ("0", 4),
    ],
)
def test_plat(value, expected):
    assert grade("PLAT", value, "125", "350") == expected


@pytest.mark.parametrize(
    ("test_code", "lln", "value", "expected"),
    [
        # The LLN below the grade-2 threshold: grade 2 holds though grade 1 does not.
        ("WBC", "2.5", "3.0", 0),
        ("WBC", "2.5", "2.99", 2),
        ("WBC", "2.5", "2.7", 2),
        ("WBC", "2.5", "2.5", 2),
        ("PLAT", "70", "72", 2),
        ("HGB", "95", "99", 2),
    ],
)
def test_the_highest_grade_whose_condition_holds(test_code, lln, value, expected):
    assert grade(test_code, value, lln, "1000") == expected


# --- increased tests against the ULN (baseline normal or none) ---------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("39.99", 0),
        ("40", 0),  # = ULN
        ("40.01", 1),
        ("119.99", 1),
        ("120", 1),  # = 3.0 × 40
        ("120.01", 2),
        ("128", 2),  # 3.2 × ULN
        ("199.99", 2),
        ("200", 2),  # = 5.0 × 40
        ("200.01", 3),
        ("799.99", 3),
        ("800", 3),  # = 20.0 × 40
        ("800.01", 4),
    ],
)
def test_alt_against_uln(value, expected):
    assert grade("ALT", value, "7", "40") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35", 0),  # = ULN
        ("35.01", 1),
        ("105", 1),  # = 3.0 × 35
        ("105.01", 2),
        ("175", 2),  # = 5.0 × 35
        ("175.01", 3),
        ("700", 3),  # = 20.0 × 35
        ("700.01", 4),
    ],
)
def test_ast_against_uln(value, expected):
    assert grade("AST", value, "13", "35") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20.99", 0),
        ("21", 0),  # = ULN
        ("21.01", 1),
        ("31.49", 1),
        ("31.5", 1),  # = 1.5 × 21
        ("31.51", 2),
        ("63", 2),  # = 3.0 × 21
        ("63.01", 3),
        ("210", 3),  # = 10.0 × 21
        ("210.01", 4),
    ],
)
def test_bili_against_uln(value, expected):
    assert grade("BILI", value, "0", "21") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("96.99", 0),
        ("97", 0),  # = ULN
        ("97.01", 1),
        ("145.49", 1),
        ("145.5", 1),  # = 1.5 × 97
        ("145.51", 2),
        ("291", 2),  # = 3.0 × 97
        ("291.01", 3),
        ("582", 3),  # = 6.0 × 97
        ("582.01", 4),
    ],
)
def test_creat_against_uln(value, expected):
    assert grade("CREAT", value, "57", "97") == expected


# --- increased tests against a baseline above its ULN -------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85", 0),  # above ULN 40 but not above 1.5 × baseline
        ("90", 0),  # = 1.5 × 60
        ("90.01", 1),
        ("180", 1),  # = 3.0 × 60
        ("180.01", 2),
        ("300", 2),  # = 5.0 × 60
        ("300.01", 3),
        ("1200", 3),  # = 20.0 × 60
        ("1200.01", 4),
    ],
)
def test_alt_against_a_high_baseline(value, expected):
    assert grade("ALT", value, "7", "40", baseline=D("60"), baseline_uln=D("40")) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("75", 0),  # = 1.5 × 50
        ("75.01", 1),
        ("150", 1),  # = 3.0 × 50
        ("150.01", 2),
        ("250", 2),  # = 5.0 × 50
        ("250.01", 3),
        ("1000", 3),  # = 20.0 × 50
        ("1000.01", 4),
    ],
)
def test_ast_against_a_high_baseline(value, expected):
    assert grade("AST", value, "13", "35", baseline=D("50"), baseline_uln=D("35")) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25", 0),  # above ULN 21 but not above the baseline
        ("30", 0),  # = 1.0 × 30
        ("30.01", 1),
        ("45", 1),  # = 1.5 × 30
        ("45.01", 2),
        ("90", 2),  # = 3.0 × 30
        ("90.01", 3),
        ("300", 3),  # = 10.0 × 30
        ("300.01", 4),
    ],
)
def test_bili_against_a_high_baseline(value, expected):
    assert grade("BILI", value, "0", "21", baseline=D("30"), baseline_uln=D("21")) == expected


@pytest.mark.parametrize(
    ("baseline", "baseline_uln", "value", "expected"),
    [
        # Baseline exactly on its ULN is normal: the ULN criteria apply.
        ("40", "40", "40.01", 1),
        ("40", "40", "120.01", 2),
        # Baseline just above its ULN: the baseline criteria (1.5 × 40.01 = 60.015).
        ("40.01", "40", "60", 0),
        ("40.01", "40", "60.015", 0),
        ("40.02", "40", "60.03", 0),  # = 1.5 × 40.02
        ("40.01", "40", "60.02", 1),
        # Normal baseline: ULN criteria.
        ("25", "40", "41", 1),
        # Above-ULN is judged against the baseline's own ULN, not today's.
        ("45", "50", "41", 1),  # normal then: ULN 40 criteria now
        ("45", "40", "60", 0),  # high then (ULN 40): 1.5 × 45 = 67.5
        ("45", "40", "67.5", 0),
        ("45", "40", "67.51", 1),
    ],
)
def test_the_switch_to_baseline_multiples(baseline, baseline_uln, value, expected):
    assert grade("ALT", value, "7", "40", baseline=D(baseline), baseline_uln=D(baseline_uln)) == expected


def test_creatinine_ignores_the_baseline():
    # Against 1.5 × baseline 150 = 225 this would be grade 0; the study grades against ULN only.
    assert grade("CREAT", "160", "57", "97", baseline=D("150"), baseline_uln=D("97")) == 2


@pytest.mark.parametrize("test_code", ["HGB", "WBC", "NEUT", "LYM", "PLAT"])
def test_decreased_tests_ignore_the_baseline(test_code):
    without = grade(test_code, "0.9", "1", "1000")
    assert grade(test_code, "0.9", "1", "1000", baseline=D("0.5"), baseline_uln=D("1000")) == without


def test_a_baseline_needs_its_uln():
    with pytest.raises(ValueError, match="baseline_uln"):
        grade("ALT", "100", "7", "40", baseline=D("60"))


# --- exactness, units and ranges together ----------------------------------------------------


@pytest.mark.parametrize(
    ("value_mg_dl", "expected"),
    [
        ("1.00", 0),  # 88.400 µmol/L = ULN
        ("1.01", 1),  # 89.284
        ("1.50", 1),  # 132.600 = 1.5 × 88.4
        ("1.51", 2),  # 133.484
    ],
)
def test_creatinine_reported_in_mg_dl(value_mg_dl, expected):
    value = to_standard("CREAT", D(value_mg_dl), "mg/dL")
    assert ctcae_grade("CREAT", value, lln=D("53"), uln=D("88.4")) == expected


@pytest.mark.parametrize(
    ("value_mg_dl", "expected"),
    [
        ("1.0", 0),  # 17.1 µmol/L = ULN
        ("1.5", 1),  # 25.65 = 1.5 × 17.1 exactly; floats make it 25.650000000000002 (grade 2)
        ("1.51", 2),  # 25.821
        ("3.0", 2),  # 51.3 = 3.0 × 17.1
        ("3.01", 3),
    ],
)
def test_bilirubin_reported_in_mg_dl(value_mg_dl, expected):
    value = to_standard("BILI", D(value_mg_dl), "mg/dL")
    assert ctcae_grade("BILI", value, lln=D("0"), uln=D("17.1")) == expected


def test_haemoglobin_reported_in_g_dl():
    assert ctcae_grade("HGB", to_standard("HGB", D("10.0"), "g/dL"), lln=D("130"), uln=D("175")) == 1
    assert ctcae_grade("HGB", to_standard("HGB", D("9.99"), "g/dL"), lln=D("130"), uln=D("175")) == 2


def test_multiples_are_exact_beyond_the_default_decimal_precision():
    uln = D("9.999999999999999999999999999")
    # 3.0 × ULN = 29.999999999999999999999999997 exactly (28-digit arithmetic would say 30).
    assert grade("BILI", "29.999999999999999999999999997", "0", uln) == 2
    assert grade("BILI", "29.999999999999999999999999998", "0", uln) == 3


def test_sex_specific_range_changing_mid_study():
    ranges = [
        NormalRange("HGB", "M", 18, None, date(2024, 1, 1), D("130"), D("175")),
        NormalRange("HGB", "F", 18, None, date(2024, 1, 1), D("115"), D("150")),
        NormalRange("HGB", "F", 18, None, date(2024, 7, 1), D("120"), D("155")),
    ]

    def graded(sex, on):
        in_force = range_in_force(ranges, test_code="HGB", sex=sex, age=40, on=on)
        return ctcae_grade("HGB", D("118"), lln=in_force.lln, uln=in_force.uln)

    assert graded("F", date(2024, 6, 30)) == 0  # LLN 115
    assert graded("F", date(2024, 7, 1)) == 1  # LLN 120 from the change date
    assert graded("M", date(2024, 7, 1)) == 1  # LLN 130


def test_bad_input():
    with pytest.raises(ValueError, match="unknown laboratory test"):
        grade("GLUC", "5", "3.9", "6.1")
    with pytest.raises(ValueError, match="negative"):
        grade("ALT", "-1", "7", "40")
    with pytest.raises(TypeError):
        ctcae_grade("ALT", 41.0, lln=D("7"), uln=D("40"))
    with pytest.raises(TypeError):
        ctcae_grade("ALT", D("41"), lln=D("7"), uln=40.0)


# --- properties -----------------------------------------------------------------------------

values = st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
limits = st.tuples(
    st.decimals(min_value=0, max_value=200, places=1), st.decimals(min_value="0.1", max_value=200, places=1)
).map(lambda pair: (pair[0], pair[0] + pair[1]))


@given(test=st.sampled_from(LAB_TESTS), a=values, b=values, range_=limits, baseline=st.none() | values)
def test_grade_is_monotonic_in_the_value(test, a, b, range_, baseline):
    lln, uln = range_
    low, high = min(a, b), max(a, b)
    extra = {} if baseline is None else {"baseline": baseline, "baseline_uln": uln}
    grade_low = ctcae_grade(test.code, low, lln=lln, uln=uln, **extra)
    grade_high = ctcae_grade(test.code, high, lln=lln, uln=uln, **extra)
    if test.direction == DECREASED:
        assert grade_low >= grade_high
    else:
        assert grade_low <= grade_high
    assert 0 <= grade_low <= (3 if test.code == "HGB" else 4)


@given(test=st.sampled_from(LAB_TESTS), value=values, range_=limits)
def test_out_of_range_and_grade_one_agree_without_baseline(test, value, range_):
    lln, uln = range_
    flag = normal_flag(value, lln=lln, uln=uln)
    graded = ctcae_grade(test.code, value, lln=lln, uln=uln)
    if test.direction == DECREASED:
        assert (flag == LOW) <= (graded >= 1)  # LOW always grades; an LLN below G2's threshold may too
    else:
        assert (flag == HIGH) == (graded >= 1)


# --- baseline ---------------------------------------------------------------------------------

DAY1_INFUSION = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on Day 1
SCR = datetime(2024, 4, 10, 1, 0, tzinfo=UTC)
W0_PRE = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
W4 = datetime(2024, 5, 29, 1, 0, tzinfo=UTC)


def test_baseline_is_the_last_result_before_the_first_infusion():
    results = [(SCR, D("30")), (W0_PRE, D("35")), (W4, D("130"))]
    assert baseline_result(results, first_infusion_start=DAY1_INFUSION) == (W0_PRE, D("35"))


def test_baseline_does_not_depend_on_the_order_given():
    results = [(W4, D("130")), (W0_PRE, D("35")), (SCR, D("30"))]
    assert baseline_result(results, first_infusion_start=DAY1_INFUSION) == (W0_PRE, D("35"))


@pytest.mark.parametrize(
    ("w0_sample", "expected"),
    [
        (DAY1_INFUSION - timedelta(seconds=1), "W0"),  # just before the infusion
        (DAY1_INFUSION, "SCR"),  # at the infusion start: not before it
        (DAY1_INFUSION + timedelta(minutes=30), "SCR"),  # Day 1, after the infusion started
    ],
)
def test_a_day1_sample_is_the_baseline_only_before_the_infusion(w0_sample, expected):
    results = [(SCR, "SCR"), (w0_sample, "W0")]
    assert baseline_result(results, first_infusion_start=DAY1_INFUSION)[1] == expected


def test_no_baseline_without_an_infusion_or_a_result_before_it():
    assert baseline_result([(SCR, D("30"))], first_infusion_start=None) is None
    assert baseline_result([], first_infusion_start=DAY1_INFUSION) is None
    assert baseline_result([(W4, D("130"))], first_infusion_start=DAY1_INFUSION) is None


def test_results_at_the_same_instant_take_the_later_one_given():
    results = [(W0_PRE, "first"), (W0_PRE, "second")]
    assert baseline_result(results, first_infusion_start=DAY1_INFUSION) == (W0_PRE, "second")


def test_the_baseline_result_can_be_any_object():
    rows = [object(), object()]
    chosen = baseline_result([(SCR, rows[0]), (W0_PRE, rows[1])], first_infusion_start=DAY1_INFUSION)
    assert chosen[1] is rows[1]


# --- AE prompt --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result_grade", "baseline_grade", "expected"),
    [
        (0, None, False),
        (1, None, False),
        (2, None, True),  # new
        (2, 0, True),
        (2, 1, True),  # worse
        (2, 2, False),  # not worse than baseline
        (3, 2, True),
        (3, 3, False),
        (4, 3, True),
        (2, 3, False),  # better than baseline
        (None, None, False),  # ungraded
        (None, 0, False),
    ],
)
def test_prompts_adverse_event(result_grade, baseline_grade, expected):
    assert prompts_adverse_event(result_grade, baseline_grade) is expected


def test_alt_at_3_2_times_uln_at_w4_prompts():
    uln = D("40")
    baseline = baseline_result([(W0_PRE, D("35")), (W4, D("128"))], first_infusion_start=DAY1_INFUSION)
    baseline_grade = ctcae_grade("ALT", baseline[1], lln=D("7"), uln=uln)
    w4_grade = ctcae_grade("ALT", D("128"), lln=D("7"), uln=uln, baseline=baseline[1], baseline_uln=uln)
    assert (baseline_grade, w4_grade) == (0, 2)
    assert prompts_adverse_event(w4_grade, baseline_grade)
