"""The safety laboratory tests and their units (PROTOCOL §8, CRF "Laboratory result").

Pure data and functions, no Django. Values are stored and graded in each test's standard unit;
a site may report some tests in one other unit, converted exactly by multiplication with the
one conversion table below (the standard units are the ones that make it a multiplication, so
a stored standard value is never rounded). Converting back is for display and rounds explicitly.
Unit codes are the CDISC UNIT submission values (``umol/L``); ``UNIT_LABELS`` gives what a
person reads (``µmol/L``).
"""

from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext


def gettext_noop(message: str) -> str:
    """Marks a label for makemessages; pages translate it where they show it (no Django here)."""
    return message


DECREASED = "decreased"
INCREASED = "increased"


@dataclass(frozen=True)
class LabTest:
    """One test of the panel.

    ``code`` is LBTESTCD, ``lbtest`` the CDISC LBTEST, ``label`` the protocol's name for pages,
    ``direction`` which way CTCAE grades it, ``ctcae_term`` the CTCAE v5.0 term an AE recorded
    from an abnormal result is pre-filled with.
    """

    code: str
    lbtest: str
    label: str
    standard_unit: str
    other_units: tuple[str, ...]
    direction: str
    ctcae_term: str

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit a result of this test may be entered in, the standard one first."""
        return (self.standard_unit, *self.other_units)


LAB_TESTS: tuple[LabTest, ...] = (
    LabTest("HGB", "Hemoglobin", gettext_noop("Haemoglobin"), "g/L", ("g/dL",), DECREASED, "Anemia"),
    LabTest(
        "WBC", "Leukocytes", gettext_noop("White blood cells"), "10^9/L", (), DECREASED, "White blood cell decreased"
    ),
    LabTest(
        "NEUT",
        "Neutrophils",
        gettext_noop("Neutrophils (absolute)"),
        "10^9/L",
        (),
        DECREASED,
        "Neutrophil count decreased",
    ),
    LabTest(
        "LYM",
        "Lymphocytes",
        gettext_noop("Lymphocytes (absolute)"),
        "10^9/L",
        (),
        DECREASED,
        "Lymphocyte count decreased",
    ),
    LabTest("PLAT", "Platelets", gettext_noop("Platelets"), "10^9/L", (), DECREASED, "Platelet count decreased"),
    LabTest(
        "ALT",
        "Alanine Aminotransferase",
        gettext_noop("Alanine aminotransferase"),
        "U/L",
        (),
        INCREASED,
        "Alanine aminotransferase increased",
    ),
    LabTest(
        "AST",
        "Aspartate Aminotransferase",
        gettext_noop("Aspartate aminotransferase"),
        "U/L",
        (),
        INCREASED,
        "Aspartate aminotransferase increased",
    ),
    LabTest(
        "BILI",
        "Bilirubin",
        gettext_noop("Total bilirubin"),
        "umol/L",
        ("mg/dL",),
        INCREASED,
        "Blood bilirubin increased",
    ),
    LabTest("CREAT", "Creatinine", gettext_noop("Creatinine"), "umol/L", ("mg/dL",), INCREASED, "Creatinine increased"),
)
TESTS_BY_CODE: dict[str, LabTest] = {test.code: test for test in LAB_TESTS}
TEST_CODES: tuple[str, ...] = tuple(test.code for test in LAB_TESTS)

UNIT_LABELS: dict[str, str] = {
    "g/L": "g/L",
    "g/dL": "g/dL",
    "10^9/L": "10⁹/L",
    "U/L": "U/L",
    "umol/L": "µmol/L",
    "mg/dL": "mg/dL",
}

# The one conversion table: standard units per one of the other unit, per test (mg/dL means a
# different factor for each analyte). PROTOCOL §8: creatinine 1 mg/dL = 88.4 µmol/L; bilirubin
# 1 mg/dL = 17.1 µmol/L; haemoglobin 1 g/dL = 10 g/L.
CONVERSION_FACTORS: dict[tuple[str, str], Decimal] = {
    ("HGB", "g/dL"): Decimal("10"),
    ("BILI", "mg/dL"): Decimal("17.1"),
    ("CREAT", "mg/dL"): Decimal("88.4"),
}


def require_decimal(name: str, value: object) -> Decimal:
    """``value`` as a finite Decimal; ints accepted, floats, bools and strings refused (TypeError)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return number


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """``a × b`` with no rounding whatever the number of digits (the default context has 28)."""
    with localcontext() as context:
        context.prec = max(1, len(a.as_tuple().digits) + len(b.as_tuple().digits))
        context.traps[Inexact] = True
        return a * b


def lab_test(test_code: str) -> LabTest:
    """The test with LBTESTCD ``test_code``; ValueError naming the known codes otherwise."""
    try:
        return TESTS_BY_CODE[test_code]
    except KeyError:
        raise ValueError(f"unknown laboratory test {test_code!r}; expected one of {', '.join(TEST_CODES)}") from None


def _factor(test: LabTest, unit: str) -> Decimal:
    if unit == test.standard_unit:
        return Decimal(1)
    if unit not in test.other_units:
        raise ValueError(f"{test.code} is not reported in {unit!r}; accepted units: {', '.join(test.units)}")
    return CONVERSION_FACTORS[(test.code, unit)]


def to_standard(test_code: str, value: Decimal, unit: str) -> Decimal:
    """``value`` in ``unit`` converted exactly to the test's standard unit (PROTOCOL §8).

    A multiplication by the table's factor, never rounded: 1.1 mg/dL creatinine is exactly
    97.24 µmol/L. The standard unit returns ``value`` unchanged. Raises ValueError for an
    unknown test, a unit the test does not accept, or a negative value; TypeError for a float.
    """
    test = lab_test(test_code)
    number = require_decimal("value", value)
    if number < 0:
        raise ValueError(f"value must not be negative, got {number}")
    return exact_product(number, _factor(test, unit))


def from_standard(test_code: str, value_standard: Decimal, unit: str, *, places: int) -> Decimal:
    """A standard-unit value shown in ``unit``, rounded half away from zero to ``places`` decimals.

    For display only (for example a range in the unit the site reports in): grading and flags
    always use the exact standard value. 100 µmol/L creatinine with ``places=2`` is 1.13 mg/dL.
    """
    test = lab_test(test_code)
    number = require_decimal("value_standard", value_standard)
    if number < 0:
        raise ValueError(f"value_standard must not be negative, got {number}")
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise ValueError(f"places must be a non-negative integer, got {places!r}")
    value_num, value_den = number.as_integer_ratio()
    factor_num, factor_den = _factor(test, unit).as_integer_ratio()
    # value / factor × 10^places as an exact fraction, rounded half up: floor((2n + d) / 2d).
    numerator = value_num * factor_den * 10**places
    denominator = value_den * factor_num
    rounded = (2 * numerator + denominator) // (2 * denominator)
    return Decimal(rounded).scaleb(-places)
