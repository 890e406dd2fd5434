"""Planned dose and dosing-deviation arithmetic (PROTOCOL §4).

Pure functions, no Django. Cell counts are integers of cells; weights are
``Decimal`` kilograms. Everything is exact integer arithmetic.
"""

from decimal import Decimal


def _require_positive_int(name: str, value: object) -> int:
    """Return ``value`` when it is an int (not bool) > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value}")
    return value


def planned_cells(weight_kg: Decimal, dose_per_kg_cells: int) -> int:
    """Planned dose in whole cells: ``weight_kg x dose_per_kg_cells``.

    Exact. When the product is not a whole number of cells (only possible with
    more decimals in the weight than the dose can absorb) it is rounded half up
    to the nearest cell. Raises ValueError when weight or dose is <= 0 or the
    weight is not finite; TypeError for floats or bools.
    Example: 63.5 kg x 2 000 000 -> 127 000 000.
    """
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, (Decimal, int)):
        raise TypeError(f"weight_kg must be a Decimal, got {type(weight_kg).__name__}")
    weight = Decimal(weight_kg)
    if not weight.is_finite():
        raise ValueError(f"weight_kg must be a finite number, got {weight_kg}")
    if weight <= 0:
        raise ValueError(f"weight_kg must be greater than 0, got {weight_kg}")
    dose = _require_positive_int("dose_per_kg_cells", dose_per_kg_cells)
    numerator, denominator = weight.as_integer_ratio()
    # Half up for a positive quotient: floor((2n + d) / 2d).
    return (2 * numerator * dose + denominator) // (2 * denominator)


def _require_tolerance(tolerance_percent: object) -> int:
    """Tolerance: int percent 0-100 (above 100 the lower bound would be negative)."""
    if isinstance(tolerance_percent, bool) or not isinstance(tolerance_percent, int):
        kind = type(tolerance_percent).__name__
        raise TypeError(f"tolerance_percent must be an integer, got {kind}")
    if not 0 <= tolerance_percent <= 100:
        raise ValueError(f"tolerance_percent must be between 0 and 100, got {tolerance_percent}")
    return tolerance_percent


def _max_allowed_difference(planned: int, tolerance_percent: int) -> int:
    """Largest |administered - planned| with difference x 100 <= tolerance x planned."""
    return (tolerance_percent * planned) // 100


def dose_bounds(planned: int, tolerance_percent: int) -> tuple[int, int]:
    """Inclusive (lowest, highest) administered cell count that is NOT a deviation.

    Consistent with ``is_dose_deviation``: for every administered count a >= 0,
    ``lowest <= a <= highest`` exactly when ``not is_dose_deviation(planned, a, tol)``.
    """
    planned = _require_positive_int("planned", planned)
    allowed = _max_allowed_difference(planned, _require_tolerance(tolerance_percent))
    return planned - allowed, planned + allowed


def is_dose_deviation(planned: int, administered: int, tolerance_percent: int) -> bool:
    """True when ``|administered - planned| x 100 > tolerance_percent x planned``.

    Exactly on the tolerance edge (e.g. -10 % or +10 %) is NOT a deviation.
    Raises for planned <= 0, administered < 0 or a tolerance outside 0-100.
    """
    planned = _require_positive_int("planned", planned)
    tolerance = _require_tolerance(tolerance_percent)
    if isinstance(administered, bool) or not isinstance(administered, int):
        raise TypeError(f"administered must be an integer, got {type(administered).__name__}")
    if administered < 0:
        raise ValueError(f"administered must not be negative, got {administered}")
    return abs(administered - planned) * 100 > tolerance * planned


MILLION = 1_000_000


def million_cells(cells: int) -> Decimal:
    """A count of cells in ×10⁶ (as the infusion form takes it), one decimal when that is exact:
    127000000 → 127.0, 127350000 → 127.35."""
    millions = Decimal(cells) / MILLION
    shown = millions.quantize(Decimal("0.1"))
    return shown if shown == millions else millions.normalize()
