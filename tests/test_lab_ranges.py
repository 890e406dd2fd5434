"""Normal ranges in force and the LOW/NORMAL/HIGH flag (PROTOCOL §8)."""

from datetime import date
from decimal import Decimal

import pytest

from labs.ranges import (
    HIGH,
    LOW,
    NORMAL,
    AmbiguousRange,
    NormalRange,
    normal_flag,
    overlapping_ranges,
    range_in_force,
)

D = Decimal
START = date(2024, 1, 1)
CHANGE = date(2024, 7, 1)

# A site's configuration: haemoglobin by sex, with the women's range changed on 1 July 2024;
# creatinine for men in two age bands; ALT for both sexes.
HGB_M = NormalRange("HGB", "M", 18, None, START, D("130"), D("175"))
HGB_F_OLD = NormalRange("HGB", "F", 18, None, START, D("115"), D("150"))
HGB_F_NEW = NormalRange("HGB", "F", 18, None, CHANGE, D("120"), D("155"))
CREAT_M_YOUNG = NormalRange("CREAT", "M", 18, 59, START, D("59"), D("104"))
CREAT_M_OLD = NormalRange("CREAT", "M", 60, None, START, D("62"), D("115"))
CREAT_F = NormalRange("CREAT", "F", 18, None, START, D("45"), D("84"))
ALT_ALL = NormalRange("ALT", None, 18, None, START, D("7"), D("40"))
CONFIG = [HGB_M, HGB_F_OLD, HGB_F_NEW, CREAT_M_YOUNG, CREAT_M_OLD, CREAT_F, ALT_ALL]


def in_force(test_code, sex, age, on):
    return range_in_force(CONFIG, test_code=test_code, sex=sex, age=age, on=on)


# --- flag -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6.99", LOW),
        ("7", NORMAL),  # on the LLN
        ("7.01", NORMAL),
        ("39.99", NORMAL),
        ("40", NORMAL),  # on the ULN
        ("40.00", NORMAL),
        ("40.01", HIGH),
        ("0", LOW),
    ],
)
def test_flag_boundaries(value, expected):
    assert normal_flag(D(value), lln=D("7"), uln=D("40")) == expected


def test_flag_with_a_zero_lln_is_never_low():
    assert normal_flag(D("0"), lln=D("0"), uln=D("21")) == NORMAL


def test_flag_refuses_floats():
    with pytest.raises(TypeError):
        normal_flag(7.0, lln=D("7"), uln=D("40"))


# --- range in force: sex ----------------------------------------------------------------


def test_sex_specific_ranges():
    assert in_force("HGB", "M", 40, date(2024, 3, 1)) is HGB_M
    assert in_force("HGB", "F", 40, date(2024, 3, 1)) is HGB_F_OLD


def test_a_range_for_both_sexes_applies_to_each():
    assert in_force("ALT", "M", 30, date(2024, 3, 1)) is ALT_ALL
    assert in_force("ALT", "F", 30, date(2024, 3, 1)) is ALT_ALL


# --- range in force: effective dates, the change date included --------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 12, 31), None),  # before any range applies
        (date(2024, 1, 1), HGB_F_OLD),  # the first effective date itself
        (date(2024, 6, 30), HGB_F_OLD),  # the day before the change
        (date(2024, 7, 1), HGB_F_NEW),  # the change date uses the new range
        (date(2024, 7, 2), HGB_F_NEW),
        (date(2025, 1, 1), HGB_F_NEW),
    ],
)
def test_a_result_uses_the_range_in_force_on_its_collection_date(on, expected):
    assert in_force("HGB", "F", 40, on) == expected


def test_a_change_for_women_leaves_the_mens_range_in_force():
    assert in_force("HGB", "M", 40, CHANGE) is HGB_M


# --- range in force: age bands ------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (17, None),  # below every band
        (18, CREAT_M_YOUNG),
        (58, CREAT_M_YOUNG),
        (59, CREAT_M_YOUNG),  # upper end inclusive
        (60, CREAT_M_OLD),  # lower end inclusive
        (61, CREAT_M_OLD),
        (99, CREAT_M_OLD),  # open upper end
    ],
)
def test_age_bands(age, expected):
    assert in_force("CREAT", "M", age, date(2024, 3, 1)) == expected


def test_a_new_band_split_takes_over_from_its_effective_date():
    old = NormalRange("WBC", None, 18, None, START, D("3.5"), D("9.5"))
    young = NormalRange("WBC", None, 18, 39, CHANGE, D("4.0"), D("10.0"))
    config = [old, young]
    assert range_in_force(config, test_code="WBC", sex="M", age=39, on=CHANGE) is young
    assert range_in_force(config, test_code="WBC", sex="M", age=40, on=CHANGE) is old  # not re-banded
    assert range_in_force(config, test_code="WBC", sex="M", age=39, on=date(2024, 6, 30)) is old


def test_no_range_for_the_test():
    assert in_force("PLAT", "M", 40, date(2024, 3, 1)) is None


def test_range_in_force_refuses_bad_arguments():
    with pytest.raises(ValueError, match="sex"):
        in_force("HGB", "X", 40, date(2024, 3, 1))
    with pytest.raises(ValueError, match="unknown laboratory test"):
        in_force("GLUC", "M", 40, date(2024, 3, 1))


def test_two_ranges_in_force_at_once_are_a_configuration_error():
    both = NormalRange("HGB", None, 18, None, START, D("120"), D("170"))
    with pytest.raises(AmbiguousRange, match="2 normal ranges of HGB from 2024-01-01"):
        range_in_force([HGB_M, both], test_code="HGB", sex="M", age=40, on=date(2024, 3, 1))


# --- configuration checks -----------------------------------------------------------------


def test_a_valid_configuration_has_no_overlaps():
    assert overlapping_ranges(CONFIG) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # same sex, bands sharing one year (59)
        (
            NormalRange("CREAT", "M", 18, 59, START, D("59"), D("104")),
            NormalRange("CREAT", "M", 59, None, START, D("62"), D("115")),
        ),
        # both sexes against one sex
        (
            NormalRange("HGB", None, 18, None, START, D("120"), D("170")),
            NormalRange("HGB", "F", 40, 50, START, D("115"), D("150")),
        ),
        # two open-ended bands
        (
            NormalRange("ALT", "F", 18, None, START, D("7"), D("35")),
            NormalRange("ALT", "F", 65, None, START, D("7"), D("40")),
        ),
    ],
)
def test_overlaps_are_found(first, second):
    assert overlapping_ranges([first, second]) == [(first, second)]


@pytest.mark.parametrize(
    "second",
    [
        NormalRange("CREAT", "M", 60, None, START, D("62"), D("115")),  # adjacent band
        NormalRange("CREAT", "F", 18, 59, START, D("45"), D("84")),  # other sex
        NormalRange("CREAT", "M", 18, 59, CHANGE, D("60"), D("106")),  # other date: a change
        NormalRange("ALT", "M", 18, 59, START, D("7"), D("40")),  # other test
    ],
)
def test_not_overlapping(second):
    first = NormalRange("CREAT", "M", 18, 59, START, D("59"), D("104"))
    assert overlapping_ranges([first, second]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_code": "GLUC"}, "unknown laboratory test"),
        ({"sex": "X"}, "sex"),
        ({"age_from": -1}, "age_from"),
        ({"age_to": 17}, "age_to"),
        ({"lln": D("-1")}, "lln"),
        ({"uln": D("7")}, "above lln"),
        ({"uln": D("6")}, "above lln"),
    ],
)
def test_normal_range_validation(kwargs, message):
    fields = {
        "test_code": "ALT",
        "sex": None,
        "age_from": 18,
        "age_to": None,
        "effective_from": START,
        "lln": D("7"),
        "uln": D("40"),
    }
    with pytest.raises(ValueError, match=message):
        NormalRange(**(fields | kwargs))


def test_normal_range_refuses_float_limits():
    with pytest.raises(TypeError):
        NormalRange("ALT", None, 18, None, START, 7.0, D("40"))
