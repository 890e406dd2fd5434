"""CTCAE v5.0 grade of a laboratory result, the baseline and the AE prompt (PROTOCOL §8).

Pure functions, no Django. Every value is a ``Decimal`` in the test's standard unit
(``labs.catalogue.to_standard``); multiples of a limit are exact products, so a value exactly
on a threshold is never pushed to either side by rounding.

Grade = the highest grade whose condition holds, 0 when none. "< a" is strictly less and
"> a" strictly greater, so a value exactly on a threshold takes the lower grade. The criteria
below are the protocol's, as data: for a decreased test each grade is "value < threshold",
the threshold being the LLN (``None`` below) or an absolute value; for an increased test each
grade is "value > multiple × reference", the reference being the ULN, or for ALT, AST and
BILI the baseline when the baseline was above its ULN.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from labs.catalogue import DECREASED, exact_product, lab_test, require_decimal

D = Decimal

# (grade, threshold): grade holds when value < threshold; None is the LLN. HGB G4/G5 are
# clinical and never derived.
DECREASED_CRITERIA: dict[str, tuple[tuple[int, Decimal | None], ...]] = {
    "HGB": ((1, None), (2, D("100")), (3, D("80"))),
    "WBC": ((1, None), (2, D("3.0")), (3, D("2.0")), (4, D("1.0"))),
    "NEUT": ((1, None), (2, D("1.5")), (3, D("1.0")), (4, D("0.5"))),
    "LYM": ((1, None), (2, D("0.8")), (3, D("0.5")), (4, D("0.2"))),
    "PLAT": ((1, None), (2, D("75")), (3, D("50")), (4, D("25"))),
}

# (grade, multiple): grade holds when value > multiple × ULN (baseline normal or none).
INCREASED_ULN_CRITERIA: dict[str, tuple[tuple[int, Decimal], ...]] = {
    "ALT": ((1, D("1")), (2, D("3.0")), (3, D("5.0")), (4, D("20.0"))),
    "AST": ((1, D("1")), (2, D("3.0")), (3, D("5.0")), (4, D("20.0"))),
    "BILI": ((1, D("1")), (2, D("1.5")), (3, D("3.0")), (4, D("10.0"))),
    # This study grades creatinine against the ULN only, whatever the baseline.
    "CREAT": ((1, D("1")), (2, D("1.5")), (3, D("3.0")), (4, D("6.0"))),
}

# (grade, multiple): grade holds when value > multiple × baseline, used instead of the above
# when the baseline was above its ULN.
INCREASED_BASELINE_CRITERIA: dict[str, tuple[tuple[int, Decimal], ...]] = {
    "ALT": ((1, D("1.5")), (2, D("3.0")), (3, D("5.0")), (4, D("20.0"))),
    "AST": ((1, D("1.5")), (2, D("3.0")), (3, D("5.0")), (4, D("20.0"))),
    "BILI": ((1, D("1.0")), (2, D("1.5")), (3, D("3.0")), (4, D("10.0"))),
}

AE_PROMPT_MIN_GRADE = 2


def ctcae_grade(
    test_code: str,
    value: Decimal,
    *,
    lln: Decimal,
    uln: Decimal,
    baseline: Decimal | None = None,
    baseline_uln: Decimal | None = None,
) -> int:
    """CTCAE v5.0 grade 0-4 (HGB 0-3) of ``value`` for ``test_code`` (PROTOCOL §8).

    ``lln``/``uln`` are the range in force for this result (``labs.ranges.range_in_force``);
    with no range in force there is no grade, and the caller does not call this. ``baseline``
    is the participant's baseline value of the test (``baseline_result``) and ``baseline_uln``
    the ULN in force for that baseline result; pass them only when grading a result collected
    after the baseline (the baseline itself and earlier results are graded with none). For
    ALT, AST and BILI a baseline above its ULN switches to the baseline multiples; other tests
    ignore the baseline. Raises ValueError for an unknown test, a negative value, or a
    baseline without its ULN; TypeError for floats.
    """
    test = lab_test(test_code)
    number = require_decimal("value", value)
    if number < 0:
        raise ValueError(f"value must not be negative, got {number}")
    lower = require_decimal("lln", lln)
    upper = require_decimal("uln", uln)
    if test.direction == DECREASED:
        holding = [
            grade
            for grade, threshold in DECREASED_CRITERIA[test.code]
            if number < (lower if threshold is None else threshold)
        ]
        return max(holding, default=0)
    reference, criteria = upper, INCREASED_ULN_CRITERIA[test.code]
    if baseline is not None:
        base = require_decimal("baseline", baseline)
        if baseline_uln is None:
            raise ValueError("baseline_uln (the ULN in force for the baseline result) is required with a baseline")
        if test.code in INCREASED_BASELINE_CRITERIA and base > require_decimal("baseline_uln", baseline_uln):
            reference, criteria = base, INCREASED_BASELINE_CRITERIA[test.code]
    holding = [grade for grade, multiple in criteria if number > exact_product(multiple, reference)]
    return max(holding, default=0)


Result = TypeVar("Result")


def baseline_result(
    results: Iterable[tuple[datetime, Result]], *, first_infusion_start: datetime | None
) -> tuple[datetime, Result] | None:
    """The baseline among one test's results of one participant (PROTOCOL §8).

    ``results`` are (collected_at, anything) pairs — a value, a row — of results that have a
    value (not-done results are left out by the caller). The baseline is the last one on or
    before Day 1 before the first infusion: collected strictly before ``first_infusion_start``.
    The first infusion's start fixes Day 1 (its site-local date), so it alone decides both
    conditions: a sample drawn on Day 1 after the infusion started is not the baseline. None
    while there is no infusion (no Day 1 yet, or never dosed) or no result before it. Results
    collected at the same instant: the later one in ``results`` wins, so order ties by entry.
    """
    if first_infusion_start is None:
        return None
    chosen = None
    for collected_at, item in results:
        if collected_at < first_infusion_start and (chosen is None or collected_at >= chosen[0]):
            chosen = (collected_at, item)
    return chosen


def prompts_adverse_event(grade: int | None, baseline_grade: int | None) -> bool:
    """Whether a result prompts the investigator to record an AE (PROTOCOL §8).

    Grade 2 or more and higher than the baseline's grade; no baseline counts as grade 0 (the
    abnormality is new). An ungraded result (``grade`` None: no range in force) prompts
    nothing. The user decides; this only says whether to ask.
    """
    if grade is None:
        return False
    return grade >= AE_PROMPT_MIN_GRADE and grade > (baseline_grade or 0)
