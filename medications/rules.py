"""Concomitant-medication rules (PROTOCOL §9, CRF "Concomitant medication").

Pure functions, no Django. Dates may be partial (``medications.partial_dates``); where a
partial date leaves the answer open, each rule takes the side that keeps the medication in
front of the investigator: a medication that may have been taken on or after Day 1 is
concomitant, a prohibited one that may have been taken on or after consent is a deviation due.
The prohibited-medication rule reads the class, route, dose, unit and frequency the user picked
(``medications.classification``), never the verbatim name.
"""

from datetime import date, timedelta
from decimal import Decimal, Inexact, localcontext

from medications.classification import (
    ADMINISTRATIONS_PER_DAY,
    BIOLOGIC,
    IMMUNOSUPPRESSANT,
    MG_PER_UNIT,
    OTHER,
    PHOTOTHERAPY,
    ROUTES,
    SYSTEMIC_PSORIASIS,
    SYSTEMIC_ROUTES,
    medication_class,
)
from medications.messages import Message, gettext_noop
from medications.partial_dates import PartialDate, as_partial, period_errors

PRIOR = "prior"
CONCOMITANT = "concomitant"

COLLECTION_DAYS_BEFORE_CONSENT = 30
PREDNISONE_LIMIT_MG_PER_DAY = Decimal("10")

# Why a medication is prohibited (PROTOCOL §9); the key is stored, the label shown.
PROHIBITED_REASONS: dict[str, str] = {
    "systemic_psoriasis_therapy": gettext_noop("Systemic psoriasis therapy"),
    "biologic": gettext_noop("Biologic"),
    "systemic_corticosteroid": gettext_noop("Systemic corticosteroid above 10 mg/day prednisone equivalent"),
    "systemic_corticosteroid_dose_unknown": gettext_noop(
        "Systemic corticosteroid whose prednisone-equivalent daily dose is not known: confirm"
    ),
    "systemic_immunosuppressant": gettext_noop("Systemic immunosuppressant"),
    "phototherapy": gettext_noop("Phototherapy"),
}
_ROUTE_CODES = frozenset(code for code, _, _ in ROUTES)


def _exact_product(*factors: Decimal) -> Decimal:
    """The product of ``factors`` with no rounding, whatever the number of digits."""
    with localcontext() as context:
        context.prec = max(1, sum(len(factor.as_tuple().digits) for factor in factors))
        context.traps[Inexact] = True
        result = Decimal(1)
        for factor in factors:
            result *= factor
        return result


def _non_negative_decimal(name: str, value: object) -> Decimal:
    """``value`` as a finite, non-negative Decimal; ints accepted, floats refused (TypeError)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)) or not Decimal(value).is_finite():
        raise TypeError(f"{name} must be a finite Decimal, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return Decimal(value)


def _possibly_taken_on_or_after(end: PartialDate | date | None, *, ongoing: bool, day: date) -> bool:
    """Whether the medication may have been taken on or after ``day``: ongoing, no end known,
    or an end whose latest possible day is ``day`` or later."""
    if ongoing or end is None:
        return True
    return as_partial(end).latest >= day


def prior_or_concomitant(*, end: PartialDate | date | None, ongoing: bool, day1: date | None) -> str | None:
    """PRIOR or CONCOMITANT against Day 1 (PROTOCOL §9), or None while there is no Day 1.

    Prior = ended before Day 1; concomitant = taken on or after Day 1, so a medication ending
    exactly on Day 1, or ongoing, is concomitant. A partial end is prior only when its latest
    possible day is before Day 1 (``2024-04`` against Day 1 2024-05-01 is prior; ``2024-05``
    is concomitant), and a missing end counts as not ended. Without Day 1 — before the first
    infusion, or never dosed — there is no answer: data are often entered after the fact, so
    "no Day 1 recorded yet" does not mean Day 1 is still to come.
    """
    if day1 is None:
        return None
    return CONCOMITANT if _possibly_taken_on_or_after(end, ongoing=ongoing, day=day1) else PRIOR


def daily_dose_mg(*, dose: Decimal | None, dose_unit: str | None, frequency: str | None) -> Decimal | None:
    """Milligrams taken on a day the medication is taken: dose × mg per unit × administrations.

    Exact. None when it cannot be known: no dose, a unit that is not a mass (tablet, mL …),
    or a frequency without a fixed count (as needed, unknown). Raises ValueError for a unit or
    frequency code not in the lists, or a negative dose; TypeError for a float dose.
    """
    if dose_unit is not None and dose_unit not in MG_PER_UNIT:
        raise ValueError(f"unknown dose unit {dose_unit!r}; expected one of {', '.join(MG_PER_UNIT)}")
    if frequency is not None and frequency not in ADMINISTRATIONS_PER_DAY:
        raise ValueError(f"unknown frequency {frequency!r}; expected one of {', '.join(ADMINISTRATIONS_PER_DAY)}")
    if dose is None:
        return None
    amount = _non_negative_decimal("dose", dose)
    mg_per_unit = MG_PER_UNIT.get(dose_unit) if dose_unit is not None else None
    per_day = ADMINISTRATIONS_PER_DAY.get(frequency) if frequency is not None else None
    if mg_per_unit is None or per_day is None:
        return None
    return _exact_product(amount, mg_per_unit, Decimal(per_day))


def prednisone_equivalent_mg(*, medication_class_key: str, daily_mg: Decimal, places: int = 2) -> Decimal | None:
    """The prednisone-equivalent daily dose, rounded half up to ``places`` decimals, for display.

    None for a class without a known equivalence. The prohibited decision does not use this
    rounded figure: ``prohibited_reason`` compares exactly (dose > 10 × equivalent mg).
    """
    equivalent = medication_class(medication_class_key).equivalent_mg
    if equivalent is None:
        return None
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise ValueError(f"places must be a non-negative integer, got {places!r}")
    dose_num, dose_den = _non_negative_decimal("daily_mg", daily_mg).as_integer_ratio()
    equivalent_num, equivalent_den = equivalent.as_integer_ratio()
    numerator = dose_num * equivalent_den * 10**places
    denominator = dose_den * equivalent_num
    return Decimal((2 * numerator + denominator) // (2 * denominator)).scaleb(-places)


def prohibited_reason(
    *,
    medication_class_key: str,
    route: str | None,
    dose: Decimal | None = None,
    dose_unit: str | None = None,
    frequency: str | None = None,
) -> str | None:
    """Why a medication is prohibited from consent to W12 (a key of PROHIBITED_REASONS), or None.

    PROTOCOL §9: any biologic and phototherapy, whatever the route; by a systemic route (an
    unknown route counts as systemic): conventional systemic psoriasis therapy, other
    immunosuppressants, and corticosteroids above 10 mg/day prednisone equivalent — strictly
    above, so exactly 10 mg (8 mg methylprednisolone, 1.5 mg dexamethasone, 40 mg hydrocortisone)
    is allowed. A systemic corticosteroid whose daily dose or potency is unknown is flagged
    ``systemic_corticosteroid_dose_unknown`` for the investigator to confirm.
    """
    item = medication_class(medication_class_key)
    if route is not None and route not in _ROUTE_CODES:
        raise ValueError(f"unknown route {route!r}; expected one of {', '.join(sorted(_ROUTE_CODES))}")
    daily = daily_dose_mg(dose=dose, dose_unit=dose_unit, frequency=frequency)
    if item.group == BIOLOGIC:
        return "biologic"
    if item.group == PHOTOTHERAPY:
        return "phototherapy"
    if item.group == OTHER or (route is not None and route not in SYSTEMIC_ROUTES):
        return None
    if item.group == SYSTEMIC_PSORIASIS:
        return "systemic_psoriasis_therapy"
    if item.group == IMMUNOSUPPRESSANT:
        return "systemic_immunosuppressant"
    # What remains is the corticosteroid group.
    if item.equivalent_mg is None or daily is None:
        return "systemic_corticosteroid_dose_unknown"
    # dose / equivalent > 10  ⇔  dose > 10 × equivalent: exact, no division.
    if daily > _exact_product(PREDNISONE_LIMIT_MG_PER_DAY, item.equivalent_mg):
        return "systemic_corticosteroid"
    return None


def deviation_due(*, reason: str | None, end: PartialDate | date | None, ongoing: bool, consent_date: date) -> bool:
    """Whether a prohibited medication (``reason`` from ``prohibited_reason``) is a deviation (§9).

    Prohibited from consent to W12, the consent day included: due when the medication may have
    been taken on or after ``consent_date`` — ongoing, no end, or an end whose latest possible
    day is the consent date or later. A medication that ended the day before consent is not.
    """
    if reason is None:
        return False
    if reason not in PROHIBITED_REASONS:
        raise ValueError(f"unknown prohibited reason {reason!r}")
    return _possibly_taken_on_or_after(end, ongoing=ongoing, day=consent_date)


def collection_start(consent_date: date) -> date:
    """First day of the collection period: 30 days before consent (PROTOCOL §9)."""
    return consent_date - timedelta(days=COLLECTION_DAYS_BEFORE_CONSENT)


def medication_date_errors(
    *,
    start: PartialDate | date | None,
    end: PartialDate | date | None,
    ongoing: bool,
    consent_date: date,
    today: date,
) -> dict[str, list[str]]:
    """{field: [messages]} for a medication's dates; empty when they are consistent.

    ``start`` None is the CRF's "before": started before the collection period (30 days before
    consent; SDTM CMSTRTPT ``BEFORE``). Besides ``period_errors`` (ongoing ⇔ no end, nothing in
    the future, end not before start): a start certainly before the collection period must be
    recorded as "before", and a medication that certainly ended before it is not collected.
    """
    errors = period_errors(start, end, ongoing=ongoing, today=today)
    first_day = collection_start(consent_date)
    if start is not None and as_partial(start).latest < first_day:
        errors.setdefault("start_date", []).append(
            Message(
                gettext_noop("Started before the collection period (from %(first_day)s): record the start as before."),
                first_day=first_day.isoformat(),
            )
        )
    if end is not None and as_partial(end).latest < first_day:
        errors.setdefault("end_date", []).append(
            Message(
                gettext_noop("Ended before the collection period (from %(first_day)s): not a medication to record."),
                first_day=first_day.isoformat(),
            )
        )
    return errors
