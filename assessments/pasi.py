"""PASI scoring and efficacy arithmetic (PROTOCOL §5).

Pure functions, no Django. Every result is exact: PASI is carried in integer
tenths and converted to a one-decimal ``Decimal`` only at the edge; improvement
and responder decisions use exact rational arithmetic on the integer ratios of
the ``Decimal`` inputs. No binary floats anywhere.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

REGIONS = ("head", "upper_limbs", "trunk", "lower_limbs")
REGION_WEIGHT_TENTHS = {"head": 1, "upper_limbs": 2, "trunk": 3, "lower_limbs": 4}
ITEMS = ("erythema", "induration", "desquamation")
RESPONDER_THRESHOLDS = (50, 75, 90, 100)

ITEM_MAX = 4
AREA_SCORE_MAX = 6
PASI_MAX = Decimal("72.0")

# Lower edge (inclusive) of each area band above 0, in percent; index + 1 is the score.
_AREA_BAND_LOWER_EDGES = tuple(Decimal(edge) for edge in (0, 10, 30, 50, 70, 90))


def _require_decimal(name: str, value: object) -> Decimal:
    """Return ``value`` as a finite Decimal; ints accepted, floats and bools not."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return result


def _require_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` if an int (not bool) in ``low``..``high``; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        # ValueError, not TypeError: forms and the API catch ValueError for bad scores.
        message = f"{name} must be an integer {low}-{high}, got {value!r}"
        raise ValueError(message)  # noqa: TRY004
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _from_tenths(tenths: int) -> Decimal:
    """Exact Decimal with exactly one decimal place for an integer count of tenths."""
    digits = tuple(int(c) for c in str(abs(tenths)))
    return Decimal((1 if tenths < 0 else 0, digits, -1))


def area_score(area_percent: Decimal) -> int:
    """Area score 0-6 for the percentage of a region involved.

    Half-open bands: 0 -> 0; >0 and <10 -> 1; 10-<30 -> 2; 30-<50 -> 3;
    50-<70 -> 4; 70-<90 -> 5; 90-100 -> 6. Raises ValueError outside 0-100.
    """
    area = _require_decimal("area_percent", area_percent)
    if area < 0 or area > 100:
        raise ValueError(f"area_percent must be between 0 and 100, got {area}")
    if area == 0:
        return 0
    score = 0
    for index, edge in enumerate(_AREA_BAND_LOWER_EDGES):
        # Edge 0 is exclusive (handled above); every other edge is inclusive.
        if area >= edge:
            score = index + 1
    return score


@dataclass(frozen=True)
class RegionScores:
    """Item scores for one body region: three items 0-4 and the area score 0-6."""

    erythema: int
    induration: int
    desquamation: int
    area_score: int

    def __post_init__(self) -> None:
        for item in ITEMS:
            _require_int(item, getattr(self, item), 0, ITEM_MAX)
        _require_int("area_score", self.area_score, 0, AREA_SCORE_MAX)

    @property
    def item_sum(self) -> int:
        """Erythema + induration + desquamation (0-12)."""
        return self.erythema + self.induration + self.desquamation


def _check_region(region: str) -> None:
    if region not in REGION_WEIGHT_TENTHS:
        raise ValueError(f"unknown PASI region {region!r}; expected one of {', '.join(REGIONS)}")


def region_subtotal_tenths(region: str, scores: RegionScores) -> int:
    """Region contribution in integer tenths: weight_tenths x item sum x area score."""
    _check_region(region)
    return REGION_WEIGHT_TENTHS[region] * scores.item_sum * scores.area_score


def region_subtotal(region: str, scores: RegionScores) -> Decimal:
    """Exact region contribution to PASI with one decimal place (0.0-7.2 x weight)."""
    return _from_tenths(region_subtotal_tenths(region, scores))


def pasi_total(regions: Mapping[str, RegionScores | None]) -> Decimal | None:
    """Exact PASI (0.0-72.0, one decimal place), or None when any region is missing.

    A region absent from ``regions`` or mapped to None makes PASI missing: it is
    never imputed. Unknown region keys raise ValueError (they are typos).
    """
    for key in regions:
        _check_region(key)
    total_tenths = 0
    for region in REGIONS:
        scores = regions.get(region)
        if scores is None:
            return None
        total_tenths += region_subtotal_tenths(region, scores)
    return _from_tenths(total_tenths)


def _ratio(name: str, value: Decimal) -> tuple[int, int]:
    """Exact (numerator, positive denominator) of a non-negative PASI value."""
    number = _require_decimal(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    return number.as_integer_ratio()


def _change_ratio(baseline: Decimal | None, value: Decimal | None) -> tuple[int, int] | None:
    """(baseline - value) / baseline as exact (numerator, denominator > 0), or None.

    None when baseline is None or 0, or value is None.
    """
    if baseline is None or value is None:
        return None
    b_num, b_den = _ratio("baseline", baseline)
    v_num, v_den = _ratio("value", value)
    if b_num == 0:
        return None
    # (bn/bd - vn/vd) / (bn/bd) = (bn*vd - vn*bd) / (bn*vd); bn, vd > 0.
    return b_num * v_den - v_num * b_den, b_num * v_den


# The baseline is the last PASI of these visits on or before Day 1 (PROTOCOL §5): at them, improvement
# and response are not defined (the screening PASI is before or is the baseline, W0 is normally the baseline).
BASELINE_VISITS = ("SCR", "W0")


def is_after_baseline(visit_code: str) -> bool:
    """Improvement and response are defined only at visits after the baseline visits."""
    return visit_code not in BASELINE_VISITS


def improvement_percent(baseline: Decimal | None, value: Decimal | None) -> Decimal | None:
    """(baseline - value) / baseline x 100, rounded half away from zero to one decimal.

    Exact integer arithmetic. Negative (worsening) is kept. None when baseline
    is None or 0, or value is None. Display only: responders use ``is_responder``.
    """
    change = _change_ratio(baseline, value)
    if change is None:
        return None
    numerator, denominator = change
    return _rounded_tenths(numerator * 1000, denominator)  # x100 for percent, x10 for tenths


def mean_improvement(sum_tenths: int, count: int) -> Decimal | None:
    """The mean of `count` improvements (each one-decimal, as ``improvement_percent`` gives them)
    from their exact sum in tenths, rounded half away from zero to one decimal; None for none.

    The DMC dashboard's mean improvement by visit: the database sums, this divides.
    """
    if count == 0:
        return None
    return _rounded_tenths(sum_tenths, count)


def _rounded_tenths(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator tenths (denominator > 0), rounded half away from zero."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return _from_tenths(-quotient if numerator < 0 else quotient)


def is_responder(baseline: Decimal | None, value: Decimal | None, threshold: int) -> bool | None:
    """Exactly (baseline - value) x 100 >= threshold x baseline; None when undefined.

    Undefined in the same cases as ``improvement_percent``. Decided on exact
    values, never on the rounded improvement.
    """
    _require_int("threshold", threshold, 0, 100)
    change = _change_ratio(baseline, value)
    if change is None:
        return None
    numerator, denominator = change
    return numerator * 100 >= threshold * denominator


def responder_flags(baseline: Decimal | None, value: Decimal | None) -> dict[str, bool | None]:
    """Flags ``pasi50``, ``pasi75``, ``pasi90``, ``pasi100`` from ``is_responder``."""
    return {f"pasi{t}": is_responder(baseline, value, t) for t in RESPONDER_THRESHOLDS}
