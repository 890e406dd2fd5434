"""LB — Laboratory Test Results: one record per test per panel per participant (PROTOCOL §8).

- LBORRES/LBORRESU as reported; LBSTRESN/LBSTRESC/LBSTRESU in the test's standard unit (exact
  conversion, labs.catalogue); LBSTNRLO/LBSTNRHI the normal range in force on the collection date for
  the participant's sex and age; LBNRIND the flag; LBTOXGR the derived CTCAE v5.0 grade.
- A test requested but not done: LBSTAT NOT DONE with LBREASND, no result.
- LBLOBXFL: Y on each test's baseline (the last result collected before the first infusion started).
- Unscheduled panels have no VISITNUM; VISIT UNSCHEDULED. EPOCH from LBDTC's date.
- LBCLSIG (SUPPLB): the investigator's clinical significance of an out-of-range value.
Safety variant (DMC reviewers): enrolled participants only.
"""

from zoneinfo import ZoneInfo

from exports.sdtm import common
from exports.sdtm.base import Dataset, ValueLevel, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, local_minute_sql, study_day_sql
from exports.sdtm.terminology import Codelist, plain, register
from labs import catalogue
from labs.models import LabResult

HAEMATOLOGY = ("HGB", "WBC", "NEUT", "LYM", "PLAT")
register(
    Codelist("LBTESTCD", "Laboratory Test Code", tuple((t.code, t.lbtest) for t in catalogue.LAB_TESTS),
             nci_code="C65047"),
    Codelist("LBTEST", "Laboratory Test Name", plain(*(t.lbtest for t in catalogue.LAB_TESTS)), nci_code="C67154"),
    Codelist("LBCAT", "Category for Laboratory Test", plain("CHEMISTRY", "HEMATOLOGY")),
    Codelist("NRIND", "Reference Range Indicator", plain("HIGH", "LOW", "NORMAL"), nci_code="C78736"),
    Codelist("LBSTAT", "Completion Status", plain("NOT DONE"), nci_code="C66789"),
    Codelist("TOXGR", "Toxicity Grade", plain("0", "1", "2", "3", "4")),
)  # fmt: skip

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("LB"),
    common.usubjid_variable(),
    V("LBSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's rows in time order."),
    V("LBTESTCD", "Lab Test or Examination Short Name", core="Req", origin="Assigned", codelist="LBTESTCD",
      crf="lab_result.test_code"),
    V("LBTEST", "Lab Test or Examination Name", core="Req", origin="Assigned", codelist="LBTEST"),
    V("LBCAT", "Category for Lab Test", core="Exp", origin="Assigned", codelist="LBCAT"),
    V("LBORRES", "Result or Finding in Original Units", core="Exp", origin="Collected", source="Investigator",
      crf="lab_result.value"),
    V("LBORRESU", "Original Units", core="Exp", origin="Collected", source="Investigator", crf="lab_result.unit"),
    V("LBSTRESC", "Character Result/Finding in Std Format", core="Exp",
      comment="LBSTRESN as text (the standard-unit value, exact)."),
    V("LBSTRESN", "Numeric Result/Finding in Standard Units", type="float", core="Exp",
      comment="LBORRES converted exactly to the standard unit (PROTOCOL section 8)."),
    V("LBSTRESU", "Standard Units", core="Exp", origin="Assigned"),
    V("LBSTNRLO", "Normal Range Lower Limit-Std Units", type="float", core="Exp",
      comment="LLN in force on the collection date for the participant's sex and age."),
    V("LBSTNRHI", "Normal Range Upper Limit-Std Units", type="float", core="Exp",
      comment="ULN in force on the collection date for the participant's sex and age."),
    V("LBNRIND", "Reference Range Indicator", core="Exp", codelist="NRIND",
      comment="LOW below LLN, HIGH above ULN, NORMAL otherwise (on a limit: NORMAL)."),
    V("LBSTAT", "Completion Status", core="Perm", codelist="LBSTAT", crf="lab_result.not_done_reason"),
    V("LBREASND", "Reason Test Not Done", core="Perm", origin="Collected", source="Investigator",
      crf="lab_result.not_done_reason"),
    V("LBLOBXFL", "Last Observation Before Exposure Flag", core="Exp", codelist="NY", method="MT.LOBXFL"),
    V("LBTOXGR", "Standard Toxicity Grade", core="Perm", codelist="TOXGR", method="MT.CTCAE",
      comment="CTCAE v5.0 grade derived by the protocol's criteria (PROTOCOL section 8)."),
    *common.visit_variables(),
    common.epoch_variable("LBDTC"),
    V("LBDTC", "Date/Time of Specimen Collection", type="datetime", core="Exp", origin="Collected",
      source="Investigator", crf="lab_panel.collected_at"),
    common.study_day_variable("LBDY", "Study Day of Specimen Collection", "LBDTC"),
    V("LBCLSIG", "Clinically Significant", codelist="NY", origin="Collected", source="Investigator",
      crf="lab_result.clinically_significant", supp=True, evaluator="INVESTIGATOR"),
)  # fmt: skip


# Value-level metadata (define.xml): each test's result as reported, in its accepted units, and in its
# standard unit. The CRF field is the same for every test (lab_result.value), named by the variable.
VALUE_LEVEL = tuple(
    ValueLevel(variable, "LBTESTCD", t.code, t.lbtest, "float", " or ".join(t.units) if collected else t.standard_unit,
               origin="Collected" if collected else "Derived", source="Investigator" if collected else "Sponsor")
    for t in catalogue.LAB_TESTS
    for variable, collected in (("LBORRES", True), ("LBSTRESN", False))
)  # fmt: skip


def _category(code: str) -> str:
    return "HEMATOLOGY" if code in HAEMATOLOGY else "CHEMISTRY"


_TESTS_SQL = ",\n        ".join(
    f"({common.sql_literal(t.code)}, {common.sql_literal(t.lbtest)}, {common.sql_literal(_category(t.code))}, "
    f"{common.sql_literal(t.standard_unit)})"
    for t in catalogue.LAB_TESTS
)

# One row per result, numbered in the order the rows come in; numbers without trailing zeros
# (trim_scale, as Decimal.normalize), the test's names, category and standard unit from the catalogue.
SQL = f"""
WITH {STUDY},
{EPOCH_END},
lab_test AS (SELECT * FROM (VALUES
        {_TESTS_SQL}
    ) AS t(code, test, category, standard_unit)
)
SELECT
    study.study_id AS "STUDYID",
    'LB' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY {common.SORT_KEY} ORDER BY panel.collected_at, panel.id, r.test_code) AS "LBSEQ",
    t.code AS "LBTESTCD",
    t.test AS "LBTEST",
    t.category AS "LBCAT",
    trim_scale(r.value)::text AS "LBORRES",
    NULLIF(r.unit, '') AS "LBORRESU",
    trim_scale(r.value_standard)::text AS "LBSTRESC",
    trim_scale(r.value_standard)::text AS "LBSTRESN",
    CASE WHEN r.value IS NOT NULL THEN t.standard_unit END AS "LBSTRESU",
    trim_scale(r.lln)::text AS "LBSTNRLO",
    trim_scale(r.uln)::text AS "LBSTNRHI",
    NULLIF(r.flag, '') AS "LBNRIND",
    CASE WHEN r.value IS NULL THEN 'NOT DONE' END AS "LBSTAT",
    CASE WHEN r.value IS NULL THEN NULLIF(r.not_done_reason, '') END AS "LBREASND",
    CASE WHEN r.is_baseline THEN 'Y' END AS "LBLOBXFL",
    r.ctcae_grade::text AS "LBTOXGR",
    v.visitnum AS "VISITNUM",
    COALESCE(v.visit_code, 'UNSCHEDULED') AS "VISIT",
    {epoch_sql("site.local_date")} AS "EPOCH",
    {local_minute_sql("panel.collected_at")} AS "LBDTC",
    {study_day_sql("site.local_date")} AS "LBDY",
    CASE r.clinically_significant WHEN TRUE THEN 'Y' WHEN FALSE THEN 'N' END AS "LBCLSIG"
FROM labs_labresult r
JOIN labs_labpanel panel ON panel.id = r.panel_id
JOIN lab_test t ON t.code = r.test_code
JOIN subjects_participant p ON p.id = r.participant_id
LEFT JOIN subjects_visit v ON v.id = panel.visit_id
CROSS JOIN study
{EPOCH_JOIN}
CROSS JOIN LATERAL (SELECT (panel.collected_at AT TIME ZONE study.time_zone)::date AS local_date) AS site
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {common.SORT_KEY}, panel.collected_at, panel.id, r.test_code
"""


def _number(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def rows(study, *, safety: bool = False):
    zone = ZoneInfo(study.time_zone)
    epochs = common.Epochs(study)
    results = common.with_epoch_facts(
        common.enrolled_only(LabResult.objects, safety, prefix="participant__").select_related(
            "participant", "panel", "panel__visit"
        )
    ).order_by(common.participant_order("participant__"), "panel__collected_at", "panel_id", "test_code")
    participant, seq = None, 0
    for r in results.iterator(chunk_size=common.FETCH_ROWS):
        if r.participant_id != participant:
            participant, seq = r.participant_id, 0
        seq += 1
        test = catalogue.lab_test(r.test_code)
        moment = common.local(r.panel.collected_at, zone)
        on = moment.date()
        visit = r.panel.visit
        done = r.value is not None
        yield (
            study.study_id, "LB", common.usubjid(study, r.participant), seq, test.code, test.lbtest,
            _category(test.code),
            _number(r.value), r.unit or None, _number(r.value_standard), _number(r.value_standard),
            test.standard_unit if done else None, _number(r.lln), _number(r.uln),
            r.flag or None, None if done else "NOT DONE", None if done else r.not_done_reason or None,
            "Y" if r.is_baseline else None, common.text(r.ctcae_grade),
            visit.visitnum if visit else None, visit.visit_code if visit else "UNSCHEDULED",
            epochs.of(on, r), common.minute(moment), common.study_day(on, r.participant.day1_date),
            common.yes_no(r.clinically_significant),
        )  # fmt: skip


LB = Dataset(
    name="LB", label="Laboratory Test Results", category="FINDINGS",
    structure="One record per lab test per time point per visit per subject",
    keys=("STUDYID", "USUBJID", "LBTESTCD", "VISIT", "LBDTC"), variables=VARIABLES, rows=rows, sql=SQL,
    safety=True, value_level=VALUE_LEVEL,
)  # fmt: skip
