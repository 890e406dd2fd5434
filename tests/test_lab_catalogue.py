"""Laboratory tests and unit conversion (PROTOCOL §8). Expected values are hand-computed."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.catalogue import (
    CONVERSION_FACTORS,
    DECREASED,
    INCREASED,
    LAB_TESTS,
    TEST_CODES,
    UNIT_LABELS,
    exact_product,
    from_standard,
    lab_test,
    to_standard,
)

D = Decimal


def test_the_panel_is_the_protocol_table():
    assert TEST_CODES == ("HGB", "WBC", "NEUT", "LYM", "PLAT", "ALT", "AST", "BILI", "CREAT")
    assert {test.code: (test.standard_unit, test.other_units) for test in LAB_TESTS} == {
        "HGB": ("g/L", ("g/dL",)),
        "WBC": ("10^9/L", ()),
        "NEUT": ("10^9/L", ()),
        "LYM": ("10^9/L", ()),
        "PLAT": ("10^9/L", ()),
        "ALT": ("U/L", ()),
        "AST": ("U/L", ()),
        "BILI": ("umol/L", ("mg/dL",)),
        "CREAT": ("umol/L", ("mg/dL",)),
    }


def test_directions_and_ctcae_terms():
    assert [t.code for t in LAB_TESTS if t.direction == DECREASED] == ["HGB", "WBC", "NEUT", "LYM", "PLAT"]
    assert [t.code for t in LAB_TESTS if t.direction == INCREASED] == ["ALT", "AST", "BILI", "CREAT"]
    assert lab_test("HGB").ctcae_term == "Anemia"
    assert lab_test("BILI").ctcae_term == "Blood bilirubin increased"
    assert lab_test("CREAT").ctcae_term == "Creatinine increased"


def test_every_unit_has_a_label_and_every_other_unit_a_factor():
    for test in LAB_TESTS:
        assert test.units[0] == test.standard_unit
        for unit in test.units:
            assert unit in UNIT_LABELS
        for unit in test.other_units:
            assert (test.code, unit) in CONVERSION_FACTORS
    assert UNIT_LABELS["umol/L"] == "µmol/L"
    assert len(CONVERSION_FACTORS) == 3


def test_the_conversion_factors_are_the_protocol_ones():
    assert CONVERSION_FACTORS == {
        ("HGB", "g/dL"): D("10"),
        ("BILI", "mg/dL"): D("17.1"),
        ("CREAT", "mg/dL"): D("88.4"),
    }


def test_unknown_test():
    with pytest.raises(ValueError, match="unknown laboratory test 'GLUC'"):
        lab_test("GLUC")


# --- to the standard unit: exact multiplication ---------------------------------------


@pytest.mark.parametrize(
    ("test_code", "value", "unit", "expected"),
    [
        ("HGB", "1", "g/dL", "10"),
        ("HGB", "13.5", "g/dL", "135.0"),
        ("HGB", "9.99", "g/dL", "99.90"),
        ("HGB", "135", "g/L", "135"),
        ("BILI", "1", "mg/dL", "17.1"),
        ("BILI", "1.2", "mg/dL", "20.52"),
        ("BILI", "0.35", "mg/dL", "5.985"),
        ("BILI", "1.5", "mg/dL", "25.65"),  # a float product is 25.650000000000002
        ("BILI", "21", "umol/L", "21"),
        ("CREAT", "1", "mg/dL", "88.4"),
        ("CREAT", "1.1", "mg/dL", "97.24"),  # a float product is 97.24000000000001
        ("CREAT", "0.85", "mg/dL", "75.140"),
        ("CREAT", "1.01", "mg/dL", "89.284"),
        ("CREAT", "80", "umol/L", "80"),
        ("ALT", "40", "U/L", "40"),
        ("PLAT", "0", "10^9/L", "0"),
    ],
)
def test_to_standard(test_code, value, unit, expected):
    converted = to_standard(test_code, D(value), unit)
    assert converted == D(expected)
    assert str(converted) == expected


def test_to_standard_accepts_int():
    assert to_standard("CREAT", 2, "mg/dL") == D("176.8")


@pytest.mark.parametrize(
    ("test_code", "unit"),
    [("ALT", "mg/dL"), ("CREAT", "g/L"), ("HGB", "mmol/L"), ("BILI", "µmol/L"), ("WBC", "g/dL")],
)
def test_a_unit_the_test_does_not_accept_is_refused(test_code, unit):
    with pytest.raises(ValueError, match="accepted units"):
        to_standard(test_code, D("1"), unit)


def test_bad_values_are_refused():
    with pytest.raises(TypeError):
        to_standard("CREAT", 1.1, "mg/dL")
    with pytest.raises(TypeError):
        to_standard("CREAT", "1.1", "mg/dL")
    with pytest.raises(TypeError):
        to_standard("CREAT", True, "mg/dL")
    with pytest.raises(ValueError, match="negative"):
        to_standard("CREAT", D("-0.1"), "mg/dL")
    with pytest.raises(ValueError, match="finite"):
        to_standard("CREAT", D("NaN"), "mg/dL")


# --- back to the reported unit: display, explicit rounding ----------------------------


@pytest.mark.parametrize(
    ("test_code", "value", "unit", "places", "expected"),
    [
        ("HGB", "10", "g/dL", 1, "1.0"),
        ("HGB", "135", "g/dL", 1, "13.5"),
        ("HGB", "125", "g/dL", 0, "13"),  # 12.5 half away from zero
        ("HGB", "124", "g/dL", 0, "12"),  # 12.4
        ("BILI", "17.1", "mg/dL", 1, "1.0"),
        ("BILI", "20.52", "mg/dL", 2, "1.20"),
        ("BILI", "20", "mg/dL", 2, "1.17"),  # 1.1695…
        ("BILI", "21", "mg/dL", 2, "1.23"),  # 1.2280…
        ("CREAT", "88.4", "mg/dL", 2, "1.00"),
        ("CREAT", "97.24", "mg/dL", 2, "1.10"),
        ("CREAT", "100", "mg/dL", 2, "1.13"),  # 1.1312…
        ("CREAT", "0.442", "mg/dL", 2, "0.01"),  # exactly 0.005: half up
        ("CREAT", "0.441", "mg/dL", 2, "0.00"),  # 0.004988…
        ("CREAT", "0", "mg/dL", 2, "0.00"),
        ("CREAT", "80", "umol/L", 1, "80.0"),
    ],
)
def test_from_standard(test_code, value, unit, places, expected):
    shown = from_standard(test_code, D(value), unit, places=places)
    assert str(shown) == expected


def test_from_standard_refuses_bad_places_and_units():
    with pytest.raises(ValueError, match="places"):
        from_standard("CREAT", D("100"), "mg/dL", places=-1)
    with pytest.raises(ValueError, match="accepted units"):
        from_standard("ALT", D("40"), "mg/dL", places=2)
    with pytest.raises(ValueError, match="negative"):
        from_standard("CREAT", D("-1"), "mg/dL", places=2)


@given(
    test_and_unit=st.sampled_from([("HGB", "g/dL"), ("BILI", "mg/dL"), ("CREAT", "mg/dL")]),
    hundredths=st.integers(min_value=0, max_value=100_000),
)
def test_round_trip_gives_back_what_was_entered(test_and_unit, hundredths):
    test_code, unit = test_and_unit
    entered = D(hundredths).scaleb(-2)
    assert from_standard(test_code, to_standard(test_code, entered, unit), unit, places=2) == entered


def test_exact_product_does_not_round_past_the_default_precision():
    # 28 significant digits × 3.0: the exact product needs 29; the default context would give 30.
    assert exact_product(D("9.999999999999999999999999999"), D("3.0")) == D("29.999999999999999999999999997")
