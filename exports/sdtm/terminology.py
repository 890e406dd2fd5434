"""Controlled terminology and derivation methods the SDTM datasets use, for define.xml.

A codelist names the CDISC codelist it is a subset of (`nci_code`, from CDISC Controlled
Terminology) or is the sponsor's own (`nci_code` None); an item marked `extended` is a sponsor
extension of an extensible CDISC codelist (def:ExtendedValue in define.xml). A dataset module
refers to a codelist by its key and may add its own (`register`). Methods are the derivations
define.xml describes; a variable or value-level entry refers to one by its OID.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Codelist:
    key: str
    name: str
    items: tuple[tuple[str, str | None], ...] = ()  # (submission value, decode or None)
    data_type: str = "text"
    nci_code: str | None = None
    extended: frozenset[str] = frozenset()
    dictionary: str | None = None  # an external dictionary (MedDRA), no items
    version: str | None = None

    @property
    def oid(self) -> str:
        return f"CL.{self.key}"


@dataclass(frozen=True)
class Method:
    oid: str
    name: str
    description: str
    type: str = "Computation"


CODELISTS: dict[str, Codelist] = {}
METHODS: dict[str, Method] = {}


def register(*codelists: Codelist) -> None:
    for codelist in codelists:
        CODELISTS[codelist.key] = codelist


def plain(*values: str) -> tuple[tuple[str, None], ...]:
    return tuple((value, None) for value in values)


register(
    Codelist("NY", "No Yes Response", plain("N", "U", "Y"), nci_code="C66742"),
    Codelist("SEX", "Sex", (("F", "Female"), ("M", "Male")), nci_code="C66731"),
    Codelist(
        "RACE",
        "Race",
        plain(
            "AMERICAN INDIAN OR ALASKA NATIVE",
            "ASIAN",
            "BLACK OR AFRICAN AMERICAN",
            "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
            "WHITE",
            "MULTIPLE",
            "OTHER",
            "UNKNOWN",
            "NOT REPORTED",
        ),
        nci_code="C74457",
    ),  # fmt: skip
    Codelist(
        "ETHNIC",
        "Ethnic Group",
        plain("HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "UNKNOWN", "NOT REPORTED"),
        nci_code="C66790",
    ),  # fmt: skip
    Codelist("AGEU", "Age Unit", plain("YEARS"), nci_code="C66781"),
    Codelist(
        "ARMNULRS",
        "Arm Null Reason",
        plain("SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED"),
        nci_code="C142179",
    ),  # fmt: skip
    Codelist("EPOCH", "Epoch", plain("SCREENING", "TREATMENT", "FOLLOW-UP"), nci_code="C99079"),
    Codelist("COUNTRY", "Country", (("CHN", "China"),), nci_code="C66786"),
    Codelist(
        "DSCAT", "Category for Disposition Event", plain("DISPOSITION EVENT", "PROTOCOL MILESTONE"), nci_code="C74558"
    ),  # fmt: skip
    Codelist(
        "DSDECOD",
        "Standardized Disposition Term",
        plain("INFORMED CONSENT OBTAINED", "ENROLLED", "COMPLETED", "SCREEN FAILURE", "DEATH", "OTHER"),
        nci_code="C66727",
        extended=frozenset({"ENROLLED"}),
    ),  # fmt: skip
    Codelist("IECAT", "Category for Inclusion/Exclusion", plain("INCLUSION", "EXCLUSION"), nci_code="C66797"),
    Codelist("ROUTE", "Route of Administration", plain("INTRAVENOUS"), nci_code="C66729"),
    Codelist("FRM", "Pharmaceutical Dosage Form", plain("SUSPENSION"), nci_code="C66726"),
    Codelist("UNIT", "Unit", plain("10^6 Therapeutic Cells", "%"), nci_code="C71620"),
    Codelist("STENRF", "Relation to Reference Period", plain("ONGOING"), nci_code="C66728"),
    Codelist("TOXGR", "Standard Toxicity Grade (CTCAE v5.0)", plain("1", "2", "3", "4", "5")),
    Codelist("MEDDRA", "MedDRA", dictionary="MEDDRA"),
)

for method in (
    Method("MT.STUDYDAY", "Study day", "--DTC's date minus RFSTDTC, plus 1 on or after Day 1 (no day 0): Day 1 is "
           "study day 1, the day before is -1 (subjects.schedule.study_day)."),
    Method("MT.AGE", "Age", "Completed years of age on the screening date from BRTHDTC; someone born on 29 February "
           "completes a year on 1 March in non-leap years (subjects.eligibility.age_in_completed_years)."),
    Method("MT.EPOCH", "Epoch", "SCREENING from consent (RFICDTC) to the day before Day 1 (RFSTDTC) and for people "
           "never dosed; TREATMENT from Day 1 to the day of the infusion at the last dosing visit (W8) inclusive, or "
           "of the last infusion once the participant has withdrawn or completed; FOLLOW-UP after that day. An "
           "observation takes the epoch of its date; before consent (pre-study) it has none (PROTOCOL section 11; "
           "subjects.schedule.epoch)."),
    Method("MT.PASI", "PASI total", "Sum over the four regions of weight x (erythema + induration + desquamation) x "
           "area score, weights head 0.1, upper limbs 0.2, trunk 0.3, lower limbs 0.4; exact in tenths, 0 to 72; "
           "missing when a region is missing (assessments.pasi)."),
    Method("MT.AREASCORE", "PASI area score", "Area score 0-6 from the percentage of the region involved: 0 -> 0, "
           ">0 to <10 -> 1, 10 to <30 -> 2, 30 to <50 -> 3, 50 to <70 -> 4, 70 to <90 -> 5, 90 to 100 -> 6; "
           "entered directly when only the score is known (assessments.pasi)."),
    Method("MT.IMPROVE", "PASI improvement", "(baseline PASI - visit PASI) / baseline PASI x 100 %, from the exact "
           "values; baseline = the last PASI on or before Day 1 before the first infusion; undefined when the "
           "baseline is 0 (assessments.pasi)."),
    Method("MT.CTCAE", "CTCAE v5.0 grade", "The highest CTCAE v5.0 grade whose condition holds, 0 when none, with "
           "exact decimal arithmetic (PROTOCOL section 8; labs.ctcae)."),
    Method("MT.LOBXFL", "Last observation before exposure", "Y on the last non-missing result of each test measured "
           "before the start of the first infusion (RFXSTDTC); none for people never dosed."),
    Method("MT.CMPRCON", "Prior or concomitant", "PRIOR when the medication ended before Day 1 (RFSTDTC); "
           "CONCOMITANT when taken on or after Day 1, so one ending on Day 1, ongoing, or with a partial end that "
           "may reach Day 1 is concomitant; none before Day 1 is known (medications.rules.prior_or_concomitant)."),
    Method("MT.DOSE", "Dose in 10^6 cells", "The administered viable cell count divided by 10^6, exactly."),
    Method("MT.TRTEM", "Treatment emergent", "Y when the AE starts on or after Day 1 (RFSTDTC), else N "
           "(safety.rules.is_treatment_emergent)."),
    Method("MT.DOSEDEV", "Dose deviation", "Y when the administered dose is outside the tolerance (site default "
           "10 %) of the planned dose, 2.0 x 10^6 cells/kg x the weight at the visit (dosing.dose)."),
):  # fmt: skip
    METHODS[method.oid] = method
