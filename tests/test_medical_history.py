"""Medical history washout and the derived screening exclusions (PROTOCOL §10, §2)."""

from datetime import date

import pytest

from medications.history import (
    BIOLOGIC,
    CONVENTIONAL_SYSTEMIC,
    OTHER,
    PHOTOTHERAPY,
    PRIOR_STEM_CELL_THERAPY,
    PROTOCOL_WASHOUT,
    RECENT_SYSTEMIC_THERAPY,
    STEM_CELL,
    TOPICAL,
    PriorTherapy,
    WashoutPeriods,
    WashoutShortfall,
    days_since_last_dose,
    derived_exclusions,
    prior_stem_cell_therapy,
    recent_systemic_therapy,
    washout_shortfalls,
)
from medications.partial_dates import PartialDate
from subjects.eligibility import EXCLUSION_KEYS

P = PartialDate.parse
DAY1 = date(2024, 5, 1)


def recent(therapy_type, last_dose=None, ongoing=False, day1=DAY1):
    return recent_systemic_therapy([PriorTherapy(therapy_type, last_dose, ongoing)], day1=day1)


def test_protocol_periods():
    assert (PROTOCOL_WASHOUT.biologic_days, PROTOCOL_WASHOUT.conventional_days) == (84, 28)


@pytest.mark.parametrize(
    ("last_dose", "days", "expected"),
    [
        (date(2024, 2, 6), 85, False),
        (date(2024, 2, 7), 84, False),  # Day 1 − 84: acceptable
        (date(2024, 2, 8), 83, True),  # Day 1 − 83: not
        (date(2024, 4, 30), 1, True),
        (date(2024, 5, 1), 0, True),  # on Day 1
        (date(2024, 5, 2), -1, True),  # after Day 1
    ],
)
def test_biologic_washout_is_84_days(last_dose, days, expected):
    assert days_since_last_dose(PriorTherapy(BIOLOGIC, last_dose), day1=DAY1) == days
    assert recent(BIOLOGIC, last_dose) is expected


@pytest.mark.parametrize("therapy_type", [CONVENTIONAL_SYSTEMIC, PHOTOTHERAPY])
@pytest.mark.parametrize(
    ("last_dose", "expected"),
    [
        (date(2024, 4, 2), False),  # 29 days
        (date(2024, 4, 3), False),  # 28 days: acceptable
        (date(2024, 4, 4), True),  # 27 days: not
        (date(2024, 2, 8), False),  # 83 days: plenty for these
    ],
)
def test_conventional_and_phototherapy_washout_is_28_days(therapy_type, last_dose, expected):
    assert recent(therapy_type, last_dose) is expected


@pytest.mark.parametrize("therapy_type", [TOPICAL, STEM_CELL, OTHER])
def test_other_types_need_no_washout(therapy_type):
    assert recent(therapy_type, date(2024, 4, 30)) is False
    assert recent(therapy_type, None, ongoing=True) is False


@pytest.mark.parametrize("therapy_type", [BIOLOGIC, CONVENTIONAL_SYSTEMIC, PHOTOTHERAPY])
def test_ongoing_or_unknown_last_dose_is_not_washed_out(therapy_type):
    assert recent(therapy_type, None, ongoing=True) is True
    assert recent(therapy_type, None, ongoing=False) is True


@pytest.mark.parametrize(
    ("therapy_type", "last_dose", "day1", "days", "expected"),
    [
        # A partial last dose counts from its latest possible day.
        (BIOLOGIC, "2024-02", DAY1, 62, True),  # 29 Feb 2024
        (BIOLOGIC, "2024-01", DAY1, 91, False),  # 31 Jan 2024
        (BIOLOGIC, "2023", DAY1, 122, False),  # 31 Dec 2023
        (BIOLOGIC, "2024", DAY1, -244, True),  # may be after Day 1
        (BIOLOGIC, "2024-02", date(2024, 5, 23), 84, False),  # 29 Feb + 84 days
        (BIOLOGIC, "2024-02", date(2024, 5, 22), 83, True),
        (CONVENTIONAL_SYSTEMIC, "2024-04", DAY1, 1, True),
        (CONVENTIONAL_SYSTEMIC, "2024-03", date(2024, 4, 28), 28, False),  # 31 Mar + 28 days
        (CONVENTIONAL_SYSTEMIC, "2024-03", date(2024, 4, 27), 27, True),
        (PHOTOTHERAPY, "2024-03-31", date(2024, 4, 28), 28, False),
    ],
)
def test_partial_last_dose_dates_are_taken_at_their_latest(therapy_type, last_dose, day1, days, expected):
    therapy = PriorTherapy(therapy_type, P(last_dose))
    assert days_since_last_dose(therapy, day1=day1) == days
    assert recent(therapy_type, P(last_dose), day1=day1) is expected


def test_shortfalls_say_which_therapy_and_by_how_much():
    washed_out = PriorTherapy(BIOLOGIC, date(2024, 2, 7))
    too_recent = PriorTherapy(BIOLOGIC, date(2024, 2, 8))
    ongoing = PriorTherapy(CONVENTIONAL_SYSTEMIC, None, ongoing=True)
    topical = PriorTherapy(TOPICAL, date(2024, 4, 30))
    assert washout_shortfalls([washed_out, too_recent, ongoing, topical], day1=DAY1) == [
        WashoutShortfall(too_recent, 84, 83),
        WashoutShortfall(ongoing, 28, None),
    ]


def test_washout_periods_come_from_the_configuration():
    longer = WashoutPeriods(biologic_days=112, conventional_days=56)
    therapies = [PriorTherapy(BIOLOGIC, date(2024, 2, 7))]  # 84 days
    assert recent_systemic_therapy(therapies, day1=DAY1) is False
    assert recent_systemic_therapy(therapies, day1=DAY1, periods=longer) is True
    assert longer.required_days(PHOTOTHERAPY) == 56
    assert longer.required_days(TOPICAL) is None


@pytest.mark.parametrize("bad", [0, -1, True, "84"])
def test_washout_periods_validate(bad):
    with pytest.raises(ValueError, match="biologic_days"):
        WashoutPeriods(biologic_days=bad)


def test_prior_therapy_validates():
    with pytest.raises(ValueError, match="unknown therapy type"):
        PriorTherapy("systemic")
    with pytest.raises(TypeError):
        PriorTherapy(BIOLOGIC, "2024-02")


# --- stem-cell therapy and the derived exclusions ----------------------------------------------


def test_previous_stem_cell_therapy_whenever_it_was():
    assert prior_stem_cell_therapy([PriorTherapy(STEM_CELL, P("2015"))]) is True
    assert prior_stem_cell_therapy([PriorTherapy(STEM_CELL)]) is True
    assert prior_stem_cell_therapy([PriorTherapy(BIOLOGIC, P("2015"))]) is False
    assert prior_stem_cell_therapy([]) is False


def test_derived_exclusions_use_the_screening_keys():
    assert {RECENT_SYSTEMIC_THERAPY, PRIOR_STEM_CELL_THERAPY} <= set(EXCLUSION_KEYS)


@pytest.mark.parametrize(
    ("therapies", "expected"),
    [
        ([], {RECENT_SYSTEMIC_THERAPY: False, PRIOR_STEM_CELL_THERAPY: False}),
        (
            [PriorTherapy(BIOLOGIC, date(2024, 2, 8)), PriorTherapy(TOPICAL, date(2024, 4, 30))],
            {RECENT_SYSTEMIC_THERAPY: True, PRIOR_STEM_CELL_THERAPY: False},
        ),
        (
            [PriorTherapy(BIOLOGIC, date(2024, 2, 7)), PriorTherapy(STEM_CELL, P("2019-06"))],
            {RECENT_SYSTEMIC_THERAPY: False, PRIOR_STEM_CELL_THERAPY: True},
        ),
    ],
)
def test_derived_exclusions(therapies, expected):
    assert derived_exclusions(iter(therapies), day1=DAY1) == expected
