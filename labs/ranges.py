"""Normal ranges and the normal-range flag (PROTOCOL §8, CRF "Laboratory result").

Pure functions, no Django. A site's normal ranges are study configuration: one ``NormalRange``
per test, sex (or both sexes), age band and the date from which it applies; the caller builds
them from its configuration rows. A result uses the range in force on its collection date (the
site-local date), for the participant's sex and age in completed years on that date. All limits
are in the test's standard unit.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from labs.catalogue import lab_test, require_decimal

LOW = "LOW"
NORMAL = "NORMAL"
HIGH = "HIGH"
FLAGS = (LOW, NORMAL, HIGH)  # CDISC LBNRIND
SEXES = ("M", "F")


class AmbiguousRange(ValueError):
    """Two configured ranges apply to the same result: the configuration must be corrected."""


@dataclass(frozen=True)
class NormalRange:
    """LLN and ULN of one test for one sex (None: both) and age band, from ``effective_from`` on.

    Ages are completed years, both ends inclusive; ``age_to`` None has no upper end. A range
    stays in force until a range with a later ``effective_from`` covers the same people.
    """

    test_code: str
    sex: str | None
    age_from: int
    age_to: int | None
    effective_from: date
    lln: Decimal
    uln: Decimal

    def __post_init__(self) -> None:
        lab_test(self.test_code)
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be M, F or None (both), got {self.sex!r}")
        if isinstance(self.age_from, bool) or not isinstance(self.age_from, int) or self.age_from < 0:
            raise ValueError(f"age_from must be a non-negative integer, got {self.age_from!r}")
        if self.age_to is not None and (
            isinstance(self.age_to, bool) or not isinstance(self.age_to, int) or self.age_to < self.age_from
        ):
            raise ValueError(f"age_to must be an integer not below age_from ({self.age_from}), got {self.age_to!r}")
        lln = require_decimal("lln", self.lln)
        uln = require_decimal("uln", self.uln)
        if lln < 0:
            raise ValueError(f"lln must not be negative, got {lln}")
        if uln <= lln:
            raise ValueError(f"uln ({uln}) must be above lln ({lln})")

    def covers(self, *, sex: str, age: int) -> bool:
        """Whether this range's sex and age band include a person of ``sex`` aged ``age``."""
        if self.sex is not None and self.sex != sex:
            return False
        return self.age_from <= age and (self.age_to is None or age <= self.age_to)


def range_in_force(
    ranges: Iterable[NormalRange], *, test_code: str, sex: str, age: int, on: date
) -> NormalRange | None:
    """The range that applies to a ``test_code`` result of a person of ``sex`` aged ``age`` on ``on``.

    Among the ranges of that test covering the person's sex and age with ``effective_from`` on
    or before ``on`` (the change date itself uses the new range), the one with the latest
    ``effective_from``. None when no range applies (the result then has no flag and no grade).
    Raises AmbiguousRange when two ranges share that latest date — ``overlapping_ranges``
    keeps such a configuration from being saved.
    """
    lab_test(test_code)
    if sex not in SEXES:
        raise ValueError(f"sex must be M or F, got {sex!r}")
    candidates = [
        candidate
        for candidate in ranges
        if candidate.test_code == test_code and candidate.effective_from <= on and candidate.covers(sex=sex, age=age)
    ]
    if not candidates:
        return None
    latest = max(candidate.effective_from for candidate in candidates)
    in_force = [candidate for candidate in candidates if candidate.effective_from == latest]
    if len(in_force) > 1:
        raise AmbiguousRange(
            f"{len(in_force)} normal ranges of {test_code} from {latest.isoformat()} apply to sex {sex}, age {age}"
        )
    return in_force[0]


def _bands_overlap(a: NormalRange, b: NormalRange) -> bool:
    a_starts_before_b_ends = b.age_to is None or a.age_from <= b.age_to
    b_starts_before_a_ends = a.age_to is None or b.age_from <= a.age_to
    return a_starts_before_b_ends and b_starts_before_a_ends


def overlapping_ranges(ranges: Iterable[NormalRange]) -> list[tuple[NormalRange, NormalRange]]:
    """Every pair of ranges that would make ``range_in_force`` ambiguous.

    Same test, same ``effective_from``, sexes that meet (equal, or either for both sexes) and
    age bands that share at least one year. Empty for a valid configuration.
    """
    items = list(ranges)
    pairs = []
    for index, first in enumerate(items):
        for second in items[index + 1 :]:
            if (
                first.test_code == second.test_code
                and first.effective_from == second.effective_from
                and (first.sex is None or second.sex is None or first.sex == second.sex)
                and _bands_overlap(first, second)
            ):
                pairs.append((first, second))
    return pairs


def normal_flag(value: Decimal, *, lln: Decimal, uln: Decimal) -> str:
    """LOW below ``lln``, HIGH above ``uln``, NORMAL otherwise — on a limit it is NORMAL (§8)."""
    number = require_decimal("value", value)
    low = require_decimal("lln", lln)
    high = require_decimal("uln", uln)
    if number < low:
        return LOW
    if number > high:
        return HIGH
    return NORMAL
