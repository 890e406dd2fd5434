"""Medical history and the washout it implies (PROTOCOL §10, §2; CRF "Medical history").

Pure functions, no Django. When a participant's prior psoriasis therapies are recorded, two
screening exclusion items are derived from them (the investigator may still override either
with a reason; that stays with screening):

- ``recent_systemic_therapy``: a biologic last given fewer than 84 days before Day 1, or a
  conventional systemic therapy or phototherapy fewer than 28 days before it. At least 84 days
  is washed out, so a biologic last given on Day 1 − 84 is acceptable and on Day 1 − 83 is not.
- ``prior_stem_cell_therapy``: any prior therapy of type stem cell, whenever it was.

At screening Day 1 is the planned Day 1; once dosed, the actual one. Washout counts from the
latest day the last dose may have been: a last dose known only as ``2024-02`` is taken as
29 February 2024. A therapy still ongoing, or one whose last dose is not known, has not washed
out. Each assumption can only exclude someone who might be eligible — which the investigator
can override with a reason — never enrol someone who is not washed out.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from medications.messages import gettext_noop
from medications.partial_dates import PartialDate, as_partial

# MHCAT
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("psoriasis", gettext_noop("Psoriasis")),
    ("prior_psoriasis_therapy", gettext_noop("Prior psoriasis therapy")),
    ("other_condition", gettext_noop("Other condition")),
)
PSORIASIS_TYPES: tuple[tuple[str, str], ...] = (
    ("plaque", gettext_noop("Plaque")),
    ("guttate", gettext_noop("Guttate")),
    ("pustular", gettext_noop("Pustular")),
    ("erythrodermic", gettext_noop("Erythrodermic")),
    ("other", gettext_noop("Other")),
)
# MHSCAT of a prior therapy
TOPICAL = "topical"
PHOTOTHERAPY = "phototherapy"
CONVENTIONAL_SYSTEMIC = "conventional_systemic"
BIOLOGIC = "biologic"
STEM_CELL = "stem_cell"
OTHER = "other"
THERAPY_TYPES: tuple[tuple[str, str], ...] = (
    (TOPICAL, gettext_noop("Topical")),
    (PHOTOTHERAPY, gettext_noop("Phototherapy")),
    (CONVENTIONAL_SYSTEMIC, gettext_noop("Conventional systemic")),
    (BIOLOGIC, gettext_noop("Biologic")),
    (STEM_CELL, gettext_noop("Stem-cell therapy")),
    (OTHER, gettext_noop("Other")),
)
_THERAPY_TYPE_KEYS = frozenset(key for key, _ in THERAPY_TYPES)

# The screening exclusion items derived here (keys of subjects.eligibility.EXCLUSION_ITEMS).
RECENT_SYSTEMIC_THERAPY = "recent_systemic_therapy"
PRIOR_STEM_CELL_THERAPY = "prior_stem_cell_therapy"


@dataclass(frozen=True)
class WashoutPeriods:
    """Minimum days from the last dose to Day 1 (PROTOCOL §10: 12 and 4 weeks)."""

    biologic_days: int = 84
    conventional_days: int = 28

    def __post_init__(self) -> None:
        for name in ("biologic_days", "conventional_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def required_days(self, therapy_type: str) -> int | None:
        """Days of washout a therapy type needs; None for types without washout."""
        if therapy_type == BIOLOGIC:
            return self.biologic_days
        if therapy_type in (CONVENTIONAL_SYSTEMIC, PHOTOTHERAPY):
            return self.conventional_days
        return None


PROTOCOL_WASHOUT = WashoutPeriods()


@dataclass(frozen=True)
class PriorTherapy:
    """A prior psoriasis therapy: its type, last dose date (may be partial) and whether ongoing."""

    therapy_type: str
    last_dose: PartialDate | date | None = None
    ongoing: bool = False

    def __post_init__(self) -> None:
        if self.therapy_type not in _THERAPY_TYPE_KEYS:
            raise ValueError(
                f"unknown therapy type {self.therapy_type!r}; expected one of {', '.join(sorted(_THERAPY_TYPE_KEYS))}"
            )
        if self.last_dose is not None:
            as_partial(self.last_dose)


@dataclass(frozen=True)
class WashoutShortfall:
    """A therapy not washed out: the days it needs and the days since its last dose (counted
    from the latest possible day), None when ongoing or the last dose is unknown."""

    therapy: PriorTherapy
    required_days: int
    days_since_last_dose: int | None


def days_since_last_dose(therapy: PriorTherapy, *, day1: date) -> int | None:
    """Day 1 − the latest day the last dose may have been; None when ongoing or unknown.

    Negative when the last dose may be after Day 1.
    """
    if therapy.ongoing or therapy.last_dose is None:
        return None
    return (day1 - as_partial(therapy.last_dose).latest).days


def washout_shortfalls(
    therapies: Iterable[PriorTherapy], *, day1: date, periods: WashoutPeriods = PROTOCOL_WASHOUT
) -> list[WashoutShortfall]:
    """Every therapy that is not washed out by ``day1`` (PROTOCOL §10), in the given order.

    Biologics need ``periods.biologic_days``, conventional systemic therapy and phototherapy
    ``periods.conventional_days``; enough means at least that many days since the last dose.
    Topical, stem-cell and other therapies need none here.
    """
    shortfalls = []
    for therapy in therapies:
        required = periods.required_days(therapy.therapy_type)
        if required is None:
            continue
        since = days_since_last_dose(therapy, day1=day1)
        if since is None or since < required:
            shortfalls.append(WashoutShortfall(therapy, required, since))
    return shortfalls


def recent_systemic_therapy(
    therapies: Iterable[PriorTherapy], *, day1: date, periods: WashoutPeriods = PROTOCOL_WASHOUT
) -> bool:
    """The screening item "recent systemic therapy": True when any therapy is not washed out."""
    return bool(washout_shortfalls(therapies, day1=day1, periods=periods))


def prior_stem_cell_therapy(therapies: Iterable[PriorTherapy]) -> bool:
    """The screening item "previous stem-cell therapy": True when any prior therapy is of that type."""
    return any(therapy.therapy_type == STEM_CELL for therapy in therapies)


def derived_exclusions(
    therapies: Iterable[PriorTherapy], *, day1: date, periods: WashoutPeriods = PROTOCOL_WASHOUT
) -> dict[str, bool]:
    """Both derived screening exclusion items, keyed as in ``subjects.eligibility.EXCLUSION_ITEMS``.

    Call it once the medical history is recorded (an empty history then derives no exclusion);
    before that the screening answers stay as entered.
    """
    items = list(therapies)
    return {
        RECENT_SYSTEMIC_THERAPY: recent_systemic_therapy(items, day1=day1, periods=periods),
        PRIOR_STEM_CELL_THERAPY: prior_stem_cell_therapy(items),
    }
