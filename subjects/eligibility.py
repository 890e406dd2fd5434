"""Screening eligibility rules (PROTOCOL §2).

Pure functions, no Django. Thresholds come in through ``EligibilityCriteria``
(read from the study configuration by the caller); nothing here hard-codes them.
``evaluate`` reports every failed criterion by a stable name, never just the first.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


def gettext_noop(message: str) -> str:
    """Marks `message` for the translation catalogue (makemessages knows this name) and returns it as it is.

    The labels stay English here: the exclusion items are also the SDTM IETEST values, which must not
    depend on the reader's language. Pages translate them where they show them (``criterion_label``).
    """
    return message


# Site-default exclusion list, in CRF order: (key, label).
EXCLUSION_ITEMS: tuple[tuple[str, str], ...] = (
    ("pregnant_or_breastfeeding", gettext_noop("Pregnant or breast-feeding")),
    ("active_infection", gettext_noop("Active infection (including HBV, HCV, HIV, active TB)")),
    ("recent_malignancy", gettext_noop("Malignancy within the last 5 years")),
    ("prior_stem_cell_therapy", gettext_noop("Previous stem-cell therapy")),
    (
        "recent_systemic_therapy",
        gettext_noop(
            "Biologic therapy within 12 weeks or other systemic psoriasis therapy or phototherapy within 4 weeks"
        ),
    ),
    (
        "recent_trial_participation",
        gettext_noop("Participation in another interventional trial within 3 months"),
    ),
    ("severe_organ_disease", gettext_noop("Severe heart, liver or kidney disease")),
    ("product_allergy", gettext_noop("Known allergy to product components")),
)
EXCLUSION_KEYS: tuple[str, ...] = tuple(key for key, _ in EXCLUSION_ITEMS)

INCLUSION_SEVERITY = "inclusion_severity"
SCREENING_PASI_MISSING = "screening_pasi_missing"
INCLUSION_AGE = "inclusion_age"
INCLUSION_CONSENT = "inclusion_consent"


def exclusion_criterion(key: str) -> str:
    """Criterion name for an exclusion item answered yes."""
    return f"exclusion_{key}"


def exclusion_unanswered_criterion(key: str) -> str:
    """Criterion name for an exclusion item not answered yet."""
    return f"exclusion_{key}_unanswered"


_INCLUSION_LABELS: dict[str, str] = {
    INCLUSION_SEVERITY: gettext_noop(
        "Psoriasis is not moderate to severe: neither PASI nor BSA is above the threshold."
    ),
    SCREENING_PASI_MISSING: gettext_noop("Screening PASI has not been recorded."),
    INCLUSION_AGE: gettext_noop("Age on the screening date is outside the allowed range."),
    INCLUSION_CONSENT: gettext_noop(
        "Informed consent not signed on or before the screening date with a recorded version."
    ),
}
EXCLUSION_MET = gettext_noop("Exclusion criterion met: %(item)s.")
EXCLUSION_UNANSWERED = gettext_noop("Exclusion question not answered: %(item)s.")


def _same(message: str) -> str:
    return message


def criterion_label(name: str, translate: Callable[[str], str] = _same) -> str:
    """The sentence of a failed criterion, through `translate` (Django's gettext on pages; English by
    default); an unknown name is returned as it is."""
    if name in _INCLUSION_LABELS:
        return translate(_INCLUSION_LABELS[name])
    for key, label in EXCLUSION_ITEMS:
        if name == exclusion_criterion(key):
            return translate(EXCLUSION_MET) % {"item": translate(label)}
        if name == exclusion_unanswered_criterion(key):
            return translate(EXCLUSION_UNANSWERED) % {"item": translate(label)}
    return name


CRITERION_LABELS: dict[str, str] = {
    name: criterion_label(name)
    for name in (
        *_INCLUSION_LABELS,
        *(exclusion_criterion(key) for key in EXCLUSION_KEYS),
        *(exclusion_unanswered_criterion(key) for key in EXCLUSION_KEYS),
    )
}


def age_in_completed_years(date_of_birth: date, on: date) -> int:
    """Completed years of age on ``on``.

    A year completes on the birthday; someone born on 29 February completes
    it on 1 March in non-leap years. Raises ValueError when ``on`` is before
    the date of birth.
    """
    if on < date_of_birth:
        raise ValueError(f"date {on} is before the date of birth {date_of_birth}")
    # (2, 28) < (2, 29): someone born on 29 Feb completes the year on 1 March.
    birthday_not_reached = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(birthday_not_reached)


@dataclass(frozen=True)
class EligibilityCriteria:
    """Inclusion thresholds from the study configuration (protocol 7.0/10.0/18/65)."""

    pasi_threshold: Decimal
    bsa_threshold: Decimal
    min_age: int
    max_age: int

    def __post_init__(self) -> None:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is greater than max_age {self.max_age}")


@dataclass(frozen=True)
class ScreeningFacts:
    """What was recorded at screening; ``None`` means not recorded yet."""

    screening_date: date
    date_of_birth: date
    consent_date: date | None
    consent_version: str
    screening_pasi: Decimal | None
    bsa_percent: Decimal | None
    exclusions: Mapping[str, bool | None]


@dataclass(frozen=True)
class EligibilityResult:
    """Eligible only when nothing failed; ``failed``: criterion names, stable order."""

    eligible: bool
    failed: tuple[str, ...]

    @property
    def failed_labels(self) -> tuple[str, ...]:
        """Human sentences for ``failed``, same order."""
        return tuple(CRITERION_LABELS[name] for name in self.failed)


def _severity_met(facts: ScreeningFacts, criteria: EligibilityCriteria) -> bool:
    """PASI > threshold or BSA > threshold, strictly; missing values never satisfy."""
    pasi_ok = facts.screening_pasi is not None and facts.screening_pasi > criteria.pasi_threshold
    bsa_ok = facts.bsa_percent is not None and facts.bsa_percent > criteria.bsa_threshold
    return pasi_ok or bsa_ok


def _age_met(facts: ScreeningFacts, criteria: EligibilityCriteria) -> bool:
    if facts.date_of_birth > facts.screening_date:
        return False
    age = age_in_completed_years(facts.date_of_birth, facts.screening_date)
    return criteria.min_age <= age <= criteria.max_age


def _consent_met(facts: ScreeningFacts) -> bool:
    return (
        facts.consent_date is not None
        and facts.consent_date <= facts.screening_date
        and bool(facts.consent_version.strip())
    )


def _exclusion_failures(exclusions: Mapping[str, bool | None]) -> list[str]:
    """Failures for items answered yes or unanswered; unknown keys raise ValueError."""
    unknown = sorted(set(exclusions) - set(EXCLUSION_KEYS))
    if unknown:
        raise ValueError(f"unknown exclusion item(s): {', '.join(unknown)}")
    failures: list[str] = []
    for key in EXCLUSION_KEYS:
        answer = exclusions.get(key)
        if answer is None:
            failures.append(exclusion_unanswered_criterion(key))
        elif not isinstance(answer, bool):
            raise ValueError(f"exclusion item {key} must be True, False or None, got {answer!r}")
        elif answer:
            failures.append(exclusion_criterion(key))
    return failures


def evaluate(facts: ScreeningFacts, criteria: EligibilityCriteria) -> EligibilityResult:
    """Evaluate every criterion; return all failures by name (see CRITERION_LABELS).

    Order: inclusion_severity, screening_pasi_missing, inclusion_age,
    inclusion_consent, then exclusions in ``EXCLUSION_ITEMS`` order. A missing
    screening PASI is itself a failure, but severity is still judged on BSA.
    """
    failed: list[str] = []
    if not _severity_met(facts, criteria):
        failed.append(INCLUSION_SEVERITY)
    if facts.screening_pasi is None:
        failed.append(SCREENING_PASI_MISSING)
    if not _age_met(facts, criteria):
        failed.append(INCLUSION_AGE)
    if not _consent_met(facts):
        failed.append(INCLUSION_CONSENT)
    failed.extend(_exclusion_failures(facts.exclusions))
    return EligibilityResult(eligible=not failed, failed=tuple(failed))
