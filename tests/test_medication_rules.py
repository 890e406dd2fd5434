"""Concomitant medications: prior/concomitant, prohibited medications, deviations (PROTOCOL §9)."""

from datetime import date
from decimal import Decimal

import pytest

from medications.partial_dates import PartialDate
from medications.rules import (
    CONCOMITANT,
    PRIOR,
    PROHIBITED_REASONS,
    collection_start,
    daily_dose_mg,
    deviation_due,
    medication_date_errors,
    prednisone_equivalent_mg,
    prior_or_concomitant,
    prohibited_reason,
)

D = Decimal
P = PartialDate.parse
DAY1 = date(2024, 5, 1)
CONSENT = date(2024, 3, 15)


# --- prior or concomitant --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "ongoing", "expected"),
    [
        (date(2024, 4, 29), False, PRIOR),
        (date(2024, 4, 30), False, PRIOR),  # Day 1 − 1
        (date(2024, 5, 1), False, CONCOMITANT),  # ends exactly on Day 1
        (date(2024, 5, 2), False, CONCOMITANT),  # Day 1 + 1
        (None, True, CONCOMITANT),  # ongoing
        (None, False, CONCOMITANT),  # end not known: may be on/after Day 1
        (P("2024-04"), False, PRIOR),  # at the latest 30 April
        (P("2024-05"), False, CONCOMITANT),  # may be 1 May or later
        (P("2024"), False, CONCOMITANT),
        (P("2023"), False, PRIOR),
        (P("2024-04-30"), False, PRIOR),
    ],
)
def test_prior_or_concomitant(end, ongoing, expected):
    assert prior_or_concomitant(end=end, ongoing=ongoing, day1=DAY1) == expected


@pytest.mark.parametrize(("end", "ongoing"), [(date(2024, 4, 30), False), (None, True)])
def test_undecided_before_day1_exists(end, ongoing):
    assert prior_or_concomitant(end=end, ongoing=ongoing, day1=None) is None


# --- daily dose -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "unit", "frequency", "expected"),
    [
        ("5", "mg", "BID", "10"),
        ("2.5", "mg", "QID", "10.0"),
        ("1500", "ug", "QD", "1.500"),
        ("0.5", "g", "TID", "1500.0"),
        ("20", "mg", "QOD", "20"),  # on the days it is taken
        ("500", "mg", "ONCE", "500"),
        ("0", "mg", "QD", "0"),
    ],
)
def test_daily_dose_mg(dose, unit, frequency, expected):
    assert daily_dose_mg(dose=D(dose), dose_unit=unit, frequency=frequency) == D(expected)


@pytest.mark.parametrize(
    ("dose", "unit", "frequency"),
    [(None, "mg", "QD"), (D("2"), "TABLET", "QD"), (D("5"), "mL", "BID"), (D("5"), "mg", "PRN"), (D("5"), None, "QD")],
)
def test_daily_dose_unknown(dose, unit, frequency):
    assert daily_dose_mg(dose=dose, dose_unit=unit, frequency=frequency) is None


def test_daily_dose_bad_input():
    with pytest.raises(ValueError, match="dose unit"):
        daily_dose_mg(dose=D("5"), dose_unit="mcg", frequency="QD")
    with pytest.raises(ValueError, match="frequency"):
        daily_dose_mg(dose=D("5"), dose_unit="mg", frequency="daily")
    with pytest.raises(ValueError, match="negative"):
        daily_dose_mg(dose=D("-5"), dose_unit="mg", frequency="QD")
    with pytest.raises(TypeError):
        daily_dose_mg(dose=5.0, dose_unit="mg", frequency="QD")


# --- corticosteroids: above 10 mg/day prednisone equivalent -------------------------------------


def steroid(key, dose, unit="mg", frequency="QD", route="ORAL"):
    return prohibited_reason(
        medication_class_key=key,
        route=route,
        dose=None if dose is None else D(dose),
        dose_unit=unit,
        frequency=frequency,
    )


@pytest.mark.parametrize(
    ("key", "dose", "unit", "frequency", "expected"),
    [
        # prednisone / prednisolone: limit 10 mg
        ("prednisone", "9.99", "mg", "QD", None),
        ("prednisone", "10", "mg", "QD", None),
        ("prednisone", "10.01", "mg", "QD", "systemic_corticosteroid"),
        ("prednisone", "5", "mg", "BID", None),  # 10 mg/day
        ("prednisone", "5.01", "mg", "BID", "systemic_corticosteroid"),  # 10.02
        ("prednisone", "20", "mg", "QOD", "systemic_corticosteroid"),
        ("prednisolone", "10", "mg", "QD", None),
        ("prednisolone", "10.01", "mg", "QD", "systemic_corticosteroid"),
        # methylprednisolone 0.8: limit 8 mg
        ("methylprednisolone", "7.99", "mg", "QD", None),
        ("methylprednisolone", "8", "mg", "QD", None),
        ("methylprednisolone", "8.01", "mg", "QD", "systemic_corticosteroid"),
        ("methylprednisolone", "4", "mg", "BID", None),
        ("methylprednisolone", "500", "mg", "ONCE", "systemic_corticosteroid"),  # a pulse
        # dexamethasone 0.15: limit 1.5 mg
        ("dexamethasone", "1.49", "mg", "QD", None),
        ("dexamethasone", "1.5", "mg", "QD", None),
        ("dexamethasone", "1.51", "mg", "QD", "systemic_corticosteroid"),
        ("dexamethasone", "0.75", "mg", "BID", None),
        ("dexamethasone", "0.76", "mg", "BID", "systemic_corticosteroid"),  # 1.52
        ("dexamethasone", "1500", "ug", "QD", None),
        ("dexamethasone", "1501", "ug", "QD", "systemic_corticosteroid"),
        ("dexamethasone", "1.5007", "mg", "QD", "systemic_corticosteroid"),  # 10.0047 mg prednisone
        # betamethasone 0.15: limit 1.5 mg
        ("betamethasone", "1.5", "mg", "QD", None),
        ("betamethasone", "1.51", "mg", "QD", "systemic_corticosteroid"),
        # hydrocortisone 4: limit 40 mg
        ("hydrocortisone", "40", "mg", "QD", None),
        ("hydrocortisone", "40.01", "mg", "QD", "systemic_corticosteroid"),
        ("hydrocortisone", "20", "mg", "BID", None),
        ("hydrocortisone", "10", "mg", "QID", None),
        ("hydrocortisone", "10.01", "mg", "QID", "systemic_corticosteroid"),  # 40.04
        ("hydrocortisone", "0.04", "g", "QD", None),
        ("hydrocortisone", "0.0401", "g", "QD", "systemic_corticosteroid"),  # 40.1 mg
        # cortisone 5: limit 50 mg
        ("cortisone", "50", "mg", "QD", None),
        ("cortisone", "50.01", "mg", "QD", "systemic_corticosteroid"),
        # triamcinolone 0.8: limit 8 mg
        ("triamcinolone", "8", "mg", "QD", None),
        ("triamcinolone", "8.01", "mg", "QD", "systemic_corticosteroid"),
        # deflazacort 1.2: limit 12 mg
        ("deflazacort", "12", "mg", "QD", None),
        ("deflazacort", "12.01", "mg", "QD", "systemic_corticosteroid"),
    ],
)
def test_systemic_corticosteroid_limit(key, dose, unit, frequency, expected):
    assert steroid(key, dose, unit, frequency) == expected


@pytest.mark.parametrize(
    ("key", "dose", "unit", "frequency"),
    [
        ("prednisone", "2", "TABLET", "QD"),
        ("prednisone", "5", "mg", "PRN"),
        ("prednisone", None, "mg", "QD"),
        ("other_corticosteroid", "5", "mg", "QD"),  # potency unknown
    ],
)
def test_a_systemic_corticosteroid_of_unknown_daily_dose_is_flagged(key, dose, unit, frequency):
    assert steroid(key, dose, unit, frequency) == "systemic_corticosteroid_dose_unknown"


@pytest.mark.parametrize("route", ["TOPICAL", "RESPIRATORY (INHALATION)", "NASAL", "INTRA-ARTICULAR", "OPHTHALMIC"])
def test_local_corticosteroids_are_allowed(route):
    assert steroid("prednisolone", "40", route=route) is None
    assert steroid("other_corticosteroid", None, route=route) is None


@pytest.mark.parametrize("route", [None, "UNKNOWN", "OTHER", "INTRAVENOUS", "INTRAMUSCULAR"])
def test_an_unknown_or_other_route_counts_as_systemic(route):
    assert steroid("prednisone", "20", route=route) == "systemic_corticosteroid"


# --- other prohibited classes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "route", "expected"),
    [
        ("methotrexate", "ORAL", "systemic_psoriasis_therapy"),
        ("methotrexate", "SUBCUTANEOUS", "systemic_psoriasis_therapy"),
        ("ciclosporin", "ORAL", "systemic_psoriasis_therapy"),
        ("ciclosporin", "OPHTHALMIC", None),  # eye drops
        ("acitretin", "ORAL", "systemic_psoriasis_therapy"),
        ("apremilast", "ORAL", "systemic_psoriasis_therapy"),
        ("fumarate", "ORAL", "systemic_psoriasis_therapy"),
        ("other_psoriasis_systemic", None, "systemic_psoriasis_therapy"),
        ("biologic", "SUBCUTANEOUS", "biologic"),
        ("biologic", "INTRAVENOUS", "biologic"),
        ("biologic", "TOPICAL", "biologic"),  # any biologic, whatever the route
        ("phototherapy", None, "phototherapy"),
        ("phototherapy", "TOPICAL", "phototherapy"),
        ("immunosuppressant", "ORAL", "systemic_immunosuppressant"),
        ("immunosuppressant", "TOPICAL", None),  # tacrolimus ointment
        ("other", "ORAL", None),
        ("other", None, None),
    ],
)
def test_prohibited_classes(key, route, expected):
    assert prohibited_reason(medication_class_key=key, route=route) == expected


def test_every_reason_has_a_label():
    assert set(PROHIBITED_REASONS) == {
        "systemic_psoriasis_therapy",
        "biologic",
        "systemic_corticosteroid",
        "systemic_corticosteroid_dose_unknown",
        "systemic_immunosuppressant",
        "phototherapy",
    }


def test_prohibited_reason_bad_input():
    with pytest.raises(ValueError, match="unknown medication class"):
        prohibited_reason(medication_class_key="aspirin", route="ORAL")
    with pytest.raises(ValueError, match="unknown route"):
        prohibited_reason(medication_class_key="other", route="PO")


# --- prednisone equivalent for display -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "daily_mg", "expected"),
    [
        ("prednisone", "7.5", "7.50"),
        ("methylprednisolone", "16", "20.00"),
        ("dexamethasone", "4", "26.67"),  # 26.666…
        ("dexamethasone", "1.5", "10.00"),
        ("dexamethasone", "1.5007", "10.00"),  # shown rounded; the decision above is exact
        ("betamethasone", "1", "6.67"),
        ("hydrocortisone", "20", "5.00"),
        ("hydrocortisone", "0.02", "0.01"),  # 0.005: half up
        ("deflazacort", "6", "5.00"),
    ],
)
def test_prednisone_equivalent_mg(key, daily_mg, expected):
    assert str(prednisone_equivalent_mg(medication_class_key=key, daily_mg=D(daily_mg))) == expected


def test_prednisone_equivalent_unknown():
    assert prednisone_equivalent_mg(medication_class_key="other_corticosteroid", daily_mg=D("5")) is None
    assert prednisone_equivalent_mg(medication_class_key="methotrexate", daily_mg=D("5")) is None


# --- deviation due: prohibited and taken from consent on ----------------------------------------


@pytest.mark.parametrize(
    ("end", "ongoing", "expected"),
    [
        (date(2024, 3, 13), False, False),
        (date(2024, 3, 14), False, False),  # consent − 1
        (date(2024, 3, 15), False, True),  # the consent day itself
        (date(2024, 3, 16), False, True),
        (None, True, True),
        (None, False, True),  # end unknown
        (P("2024-03"), False, True),  # may have run past 15 March
        (P("2024-02"), False, False),
    ],
)
def test_deviation_due(end, ongoing, expected):
    assert (
        deviation_due(reason="systemic_psoriasis_therapy", end=end, ongoing=ongoing, consent_date=CONSENT) is expected
    )


def test_an_allowed_medication_is_never_a_deviation():
    assert deviation_due(reason=None, end=None, ongoing=True, consent_date=CONSENT) is False


def test_deviation_due_refuses_an_unknown_reason():
    with pytest.raises(ValueError, match="unknown prohibited reason"):
        deviation_due(reason="aspirin", end=None, ongoing=True, consent_date=CONSENT)


def test_a_prohibited_medication_through_to_its_deviation():
    reason = prohibited_reason(medication_class_key="methylprednisolone", route="INTRAVENOUS", dose=D("40"))
    assert reason == "systemic_corticosteroid_dose_unknown"  # no unit or frequency given
    reason = prohibited_reason(
        medication_class_key="methylprednisolone", route="INTRAVENOUS", dose=D("40"), dose_unit="mg", frequency="QD"
    )
    assert reason == "systemic_corticosteroid"
    assert deviation_due(reason=reason, end=date(2024, 5, 3), ongoing=False, consent_date=CONSENT)
    assert prior_or_concomitant(end=date(2024, 5, 3), ongoing=False, day1=DAY1) == CONCOMITANT


# --- dates --------------------------------------------------------------------------------------

TODAY = date(2024, 6, 15)


def test_collection_starts_30_days_before_consent():
    assert collection_start(CONSENT) == date(2024, 2, 14)  # 2024 is a leap year
    assert collection_start(date(2023, 3, 15)) == date(2023, 2, 13)


@pytest.mark.parametrize(
    ("start", "end", "ongoing", "fields"),
    [
        (date(2024, 2, 14), None, True, set()),  # first day of the collection period
        (date(2024, 2, 13), None, True, {"start_date"}),  # the day before: record as "before"
        (P("2024-02"), None, True, set()),  # may be 14 February or later
        (P("2024-01"), None, True, {"start_date"}),
        (None, date(2024, 2, 14), False, set()),  # "before", ended on the first day
        (None, date(2024, 2, 13), False, {"end_date"}),  # ended before the period
        (None, None, True, set()),
        (date(2024, 5, 2), date(2024, 5, 1), False, {"end_date"}),
        (date(2024, 6, 16), None, True, {"start_date"}),
    ],
)
def test_medication_date_errors(start, end, ongoing, fields):
    errors = medication_date_errors(start=start, end=end, ongoing=ongoing, consent_date=CONSENT, today=TODAY)
    assert set(errors) == fields
