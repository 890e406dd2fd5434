"""Screening eligibility (PROTOCOL §2). Expected values are hand-computed."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from subjects.eligibility import (
    CRITERION_LABELS,
    EXCLUSION_ITEMS,
    EXCLUSION_MET,
    EligibilityCriteria,
    EligibilityResult,
    ScreeningFacts,
    age_in_completed_years,
    criterion_label,
    evaluate,
)

D = Decimal
PROTOCOL = EligibilityCriteria(pasi_threshold=D("7.0"), bsa_threshold=D("10.0"), min_age=18, max_age=65)
KEYS = (
    "pregnant_or_breastfeeding",
    "active_infection",
    "recent_malignancy",
    "prior_stem_cell_therapy",
    "recent_systemic_therapy",
    "recent_trial_participation",
    "severe_organ_disease",
    "product_allergy",
)
ALL_NO = {key: False for key in KEYS}


def facts(**changes) -> ScreeningFacts:
    base = ScreeningFacts(
        screening_date=date(2024, 6, 15),
        date_of_birth=date(1980, 5, 1),
        consent_date=date(2024, 6, 10),
        consent_version="1.0",
        screening_pasi=D("12.3"),
        bsa_percent=D("15.0"),
        exclusions=dict(ALL_NO),
    )
    return replace(base, **changes)


def failed(**changes) -> tuple[str, ...]:
    return evaluate(facts(**changes), PROTOCOL).failed


def test_baseline_facts_eligible():
    result = evaluate(facts(), PROTOCOL)
    assert result == EligibilityResult(eligible=True, failed=())
    assert result.failed_labels == ()


# --- constants ------------------------------------------------------------------------


def test_criterion_labels_cover_every_name():
    expected = {
        "inclusion_severity",
        "screening_pasi_missing",
        "inclusion_age",
        "inclusion_consent",
    }
    expected |= {f"exclusion_{key}" for key in KEYS}
    expected |= {f"exclusion_{key}_unanswered" for key in KEYS}
    assert set(CRITERION_LABELS) == expected
    assert len(CRITERION_LABELS) == 20
    assert all(label.strip() for label in CRITERION_LABELS.values())
    assert len(set(CRITERION_LABELS.values())) == 20


# --- age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2006, 6, 15), date(2024, 6, 15), 18),  # 18th birthday
        (date(2006, 6, 15), date(2024, 6, 14), 17),  # day before
        (date(1958, 6, 15), date(2024, 6, 15), 66),  # 66th birthday
        (date(1958, 6, 15), date(2024, 6, 14), 65),
        (date(1959, 6, 15), date(2024, 6, 15), 65),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
        (date(2000, 12, 31), date(2001, 12, 30), 0),
        (date(2000, 12, 31), date(2001, 12, 31), 1),
        # 29 February births, non-leap screening years: year completes on 1 March
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(1956, 2, 29), date(2022, 2, 28), 65),
        (date(1956, 2, 29), date(2022, 3, 1), 66),
        # 29 February births, leap screening years: completes on 29 February
        (date(2004, 2, 29), date(2024, 2, 28), 19),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2004, 2, 29), date(2024, 3, 1), 20),
        # leap-year screening around 29 February for other birthdays
        (date(2006, 3, 1), date(2024, 2, 29), 17),
        (date(2006, 3, 1), date(2024, 3, 1), 18),
        (date(2006, 2, 28), date(2024, 2, 27), 17),
        (date(2006, 2, 28), date(2024, 2, 28), 18),
        (date(2006, 2, 28), date(2024, 2, 29), 18),
    ],
)
def test_age_in_completed_years(born, on, age):
    assert age_in_completed_years(born, on) == age


def test_age_before_birth_rejected():
    with pytest.raises(ValueError):
        age_in_completed_years(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("born", "screened", "eligible"),
    [
        (date(2006, 6, 16), date(2024, 6, 15), False),  # 17, turns 18 tomorrow
        (date(2006, 6, 15), date(2024, 6, 15), True),  # born exactly 18 years before
        (date(1959, 6, 15), date(2024, 6, 15), True),  # 65th birthday
        (date(1958, 6, 16), date(2024, 6, 15), True),  # 65, turns 66 tomorrow
        (date(1958, 6, 15), date(2024, 6, 15), False),  # 66th birthday
        (date(2004, 2, 29), date(2022, 2, 28), False),  # 17 in a non-leap year
        (date(2004, 2, 29), date(2022, 3, 1), True),  # 18 on 1 March
        (date(1956, 2, 29), date(2022, 2, 28), True),  # still 65
        (date(1956, 2, 29), date(2022, 3, 1), False),  # 66 on 1 March
        (
            date(1960, 2, 29),
            date(2024, 2, 28),
            True,
        ),  # 63, day before leap-day birthday
        (date(2006, 3, 1), date(2024, 2, 29), False),  # 17 on leap day
        (date(2006, 2, 28), date(2024, 2, 29), True),  # 18 on leap day
        (date(1958, 2, 28), date(2024, 2, 28), False),  # 66th birthday in a leap year
        (
            date(1958, 3, 1),
            date(2024, 2, 29),
            True,
        ),  # 65 on leap day, turns 66 tomorrow
    ],
)
def test_inclusion_age(born, screened, eligible):
    result = failed(date_of_birth=born, screening_date=screened, consent_date=screened)
    assert result == (() if eligible else ("inclusion_age",))


def test_birth_after_screening_fails_age():
    assert failed(date_of_birth=date(2024, 6, 16)) == ("inclusion_age",)


def test_age_limits_come_from_criteria():
    criteria = replace(PROTOCOL, min_age=21, max_age=40)
    assert evaluate(facts(date_of_birth=date(2004, 6, 15)), criteria).failed == ("inclusion_age",)  # 20
    assert evaluate(facts(date_of_birth=date(2003, 6, 15)), criteria).failed == ()  # 21
    assert evaluate(facts(date_of_birth=date(1983, 6, 16)), criteria).failed == ()  # 40
    assert evaluate(facts(date_of_birth=date(1983, 6, 15)), criteria).failed == ("inclusion_age",)  # 41


def test_min_age_above_max_rejected():
    with pytest.raises(ValueError):
        EligibilityCriteria(pasi_threshold=D("7.0"), bsa_threshold=D("10.0"), min_age=66, max_age=65)


# --- severity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pasi", "bsa", "expected"),
    [
        ("7.0", "10.0", ("inclusion_severity",)),  # neither strictly greater
        ("7.1", "10.0", ()),
        ("7.0", "10.1", ()),
        ("6.9", "9.9", ("inclusion_severity",)),
        ("0.0", "0.0", ("inclusion_severity",)),
        ("72.0", "100.0", ()),
        ("7.01", "10.0", ()),
    ],
)
def test_inclusion_severity(pasi, bsa, expected):
    assert failed(screening_pasi=D(pasi), bsa_percent=D(bsa)) == expected


def test_missing_pasi_still_judges_bsa():
    assert failed(screening_pasi=None, bsa_percent=D("10.1")) == ("screening_pasi_missing",)
    assert failed(screening_pasi=None, bsa_percent=D("10.0")) == (
        "inclusion_severity",
        "screening_pasi_missing",
    )
    assert failed(screening_pasi=None, bsa_percent=None) == (
        "inclusion_severity",
        "screening_pasi_missing",
    )


def test_missing_bsa_judged_on_pasi():
    assert failed(screening_pasi=D("7.1"), bsa_percent=None) == ()
    assert failed(screening_pasi=D("7.0"), bsa_percent=None) == ("inclusion_severity",)


def test_severity_thresholds_come_from_criteria():
    criteria = replace(PROTOCOL, pasi_threshold=D("12.0"), bsa_threshold=D("20.0"))
    assert evaluate(facts(screening_pasi=D("12.1"), bsa_percent=D("5.0")), criteria).failed == ()
    assert evaluate(facts(screening_pasi=D("12.0"), bsa_percent=D("20.0")), criteria).failed == ("inclusion_severity",)
    assert evaluate(facts(screening_pasi=D("8.0"), bsa_percent=D("20.1")), criteria).failed == ()


# --- consent --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consent_date", "version", "ok"),
    [
        (date(2024, 6, 15), "1.0", True),  # same day
        (date(2024, 5, 1), "1.0", True),  # earlier
        (date(2024, 6, 16), "1.0", False),  # next day
        (None, "1.0", False),  # not signed
        (date(2024, 6, 15), "", False),  # version missing
        (date(2024, 6, 15), "   ", False),  # version blank
        (date(2024, 6, 15), "2.1", True),
    ],
)
def test_inclusion_consent(consent_date, version, ok):
    result = failed(consent_date=consent_date, consent_version=version)
    assert result == (() if ok else ("inclusion_consent",))


# --- exclusions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("pregnant_or_breastfeeding", "exclusion_pregnant_or_breastfeeding"),
        ("active_infection", "exclusion_active_infection"),
        ("recent_malignancy", "exclusion_recent_malignancy"),
        ("prior_stem_cell_therapy", "exclusion_prior_stem_cell_therapy"),
        ("recent_systemic_therapy", "exclusion_recent_systemic_therapy"),
        ("recent_trial_participation", "exclusion_recent_trial_participation"),
        ("severe_organ_disease", "exclusion_severe_organ_disease"),
        ("product_allergy", "exclusion_product_allergy"),
    ],
)
def test_each_exclusion_yes_excludes(key, name):
    result = evaluate(facts(exclusions={**ALL_NO, key: True}), PROTOCOL)
    assert result.eligible is False
    assert result.failed == (name,)
    assert result.failed_labels == (CRITERION_LABELS[name],)
    assert dict(EXCLUSION_ITEMS)[key] in CRITERION_LABELS[name]


@pytest.mark.parametrize("key", KEYS)
def test_each_exclusion_unanswered(key):
    assert failed(exclusions={**ALL_NO, key: None}) == (f"exclusion_{key}_unanswered",)
    absent = {k: v for k, v in ALL_NO.items() if k != key}
    assert failed(exclusions=absent) == (f"exclusion_{key}_unanswered",)


def test_no_exclusions_answered():
    assert failed(exclusions={}) == tuple(f"exclusion_{key}_unanswered" for key in KEYS)


def test_unknown_exclusion_key_rejected():
    with pytest.raises(ValueError, match="hiv_positive"):
        evaluate(facts(exclusions={**ALL_NO, "hiv_positive": True}), PROTOCOL)


@pytest.mark.parametrize("bad", ["yes", 1, 0])
def test_non_boolean_exclusion_rejected(bad):
    with pytest.raises(ValueError, match="active_infection"):
        evaluate(facts(exclusions={**ALL_NO, "active_infection": bad}), PROTOCOL)


# --- several failures -----------------------------------------------------------------


def test_several_failures_listed_together():
    result = evaluate(
        facts(
            screening_pasi=D("7.0"),
            bsa_percent=D("10.0"),
            date_of_birth=date(2006, 6, 16),
            consent_date=date(2024, 6, 16),
            consent_version="",
            exclusions={**ALL_NO, "active_infection": True, "product_allergy": None},
        ),
        PROTOCOL,
    )
    assert result.eligible is False
    assert result.failed == (
        "inclusion_severity",
        "inclusion_age",
        "inclusion_consent",
        "exclusion_active_infection",
        "exclusion_product_allergy_unanswered",
    )
    assert result.failed_labels == (
        CRITERION_LABELS["inclusion_severity"],
        CRITERION_LABELS["inclusion_age"],
        CRITERION_LABELS["inclusion_consent"],
        CRITERION_LABELS["exclusion_active_infection"],
        CRITERION_LABELS["exclusion_product_allergy_unanswered"],
    )


def test_everything_fails():
    result = evaluate(
        facts(
            screening_pasi=None,
            bsa_percent=None,
            date_of_birth=date(1950, 1, 1),
            consent_date=None,
            exclusions={key: True for key in KEYS},
        ),
        PROTOCOL,
    )
    assert result.failed == (
        "inclusion_severity",
        "screening_pasi_missing",
        "inclusion_age",
        "inclusion_consent",
        "exclusion_pregnant_or_breastfeeding",
        "exclusion_active_infection",
        "exclusion_recent_malignancy",
        "exclusion_prior_stem_cell_therapy",
        "exclusion_recent_systemic_therapy",
        "exclusion_recent_trial_participation",
        "exclusion_severe_organ_disease",
        "exclusion_product_allergy",
    )
    assert len(result.failed_labels) == 12


def test_criterion_label_translates_the_sentence_and_the_item_through_the_callers_function():
    """Pages pass gettext; the stored names and the SDTM labels stay English (EXCLUSION_ITEMS)."""
    table = {EXCLUSION_MET: "met %(item)s", "Pregnant or breast-feeding": "P"}
    assert criterion_label("exclusion_pregnant_or_breastfeeding", lambda s: table.get(s, s)) == "met P"
    assert (
        criterion_label("exclusion_pregnant_or_breastfeeding")
        == CRITERION_LABELS["exclusion_pregnant_or_breastfeeding"]
    )
    assert criterion_label("no_such_criterion") == "no_such_criterion"
