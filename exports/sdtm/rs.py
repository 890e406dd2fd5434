"""RS — Disease Response and Clinical Classification: the PASI (RSCAT PASI), one record per item
per assessment, plus the total.

- Per region (head and neck, upper limbs, trunk, lower limbs) erythema, induration, desquamation
  (0-4), the area involved (%) and the area score (0-6, derived from the area, or entered when only
  the score is known), then PASITOT, the total (assessments.pasi, exact, one decimal). An item without
  a value has no record.
- RSORRES as entered; RSSTRESC the same text and RSSTRESN the number; RSORRESU / RSSTRESU % for the
  area involved.
- RSSEQ numbers the participant's records by visit; EPOCH from RSDTC.
"""

from assessments.models import PasiAssessment
from exports.sdtm import common
from exports.sdtm.base import Dataset, ValueLevel, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, study_day_sql
from exports.sdtm.terminology import Codelist, plain, register

PASI_REGIONS = (  # (field prefix, RSTESTCD prefix, label)
    ("head", "HEAD", "Head and Neck"),
    ("upper_limbs", "UPLB", "Upper Limbs"),
    ("trunk", "TRNK", "Trunk"),
    ("lower_limbs", "LOLB", "Lower Limbs"),
)
PASI_ITEMS = (  # (field suffix, RSTESTCD suffix, label, unit, define data type, origin, method)
    ("erythema", "ERY", "Erythema", None, "integer", "Collected", None),
    ("induration", "IND", "Induration", None, "integer", "Collected", None),
    ("desquamation", "DESQ", "Desquamation", None, "integer", "Collected", None),
    ("area_percent", "PCT", "Area Involved", "%", "float", "Collected", None),
    ("area_score", "AREA", "Area Score", None, "integer", "Derived", "MT.AREASCORE"),
)
RS_TESTS = (  # (RSTESTCD, RSTEST, model field, unit, define data type, origin, method)
    *(
        (code + suffix, f"{label} {item_label}", f"{region}_{item}", unit, kind, origin, method)
        for region, code, label in PASI_REGIONS
        for item, suffix, item_label, unit, kind, origin, method in PASI_ITEMS
    ),
    ("PASITOT", "PASI Total Score", "pasi_total", None, "float", "Derived", "MT.PASI"),
)
CATEGORY = "PASI"
register(
    Codelist("RSTESTCD", "PASI Assessment Short Name (sponsor)", tuple((code, test) for code, test, *_r in RS_TESTS)),
    Codelist("RSTEST", "PASI Assessment Name (sponsor)", plain(*(test for _c, test, *_r in RS_TESTS))),
    Codelist("RSCAT", "Category for Assessment (sponsor)", plain(CATEGORY)),
)

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("RS"),
    common.usubjid_variable(),
    V("RSSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's records by visit."),
    V("RSTESTCD", "Assessment Short Name", core="Req", origin="Assigned", codelist="RSTESTCD"),
    V("RSTEST", "Assessment Name", core="Req", origin="Assigned", codelist="RSTEST"),
    V("RSCAT", "Category for Assessment", core="Exp", origin="Assigned", codelist="RSCAT", comment="PASI."),
    V("RSORRES", "Result or Finding in Original Units", core="Exp", origin="Collected", source="Investigator",
      crf="pasi_assessment"),
    V("RSORRESU", "Original Units", origin="Assigned", codelist="UNIT"),
    V("RSSTRESC", "Character Result/Finding in Std Format", core="Exp", comment="RSORRES."),
    V("RSSTRESN", "Numeric Result/Finding in Standard Units", type="float", comment="RSORRES as a number."),
    V("RSSTRESU", "Standard Units", origin="Assigned", codelist="UNIT"),
    *common.visit_variables(),
    common.epoch_variable("RSDTC"),
    V("RSDTC", "Date/Time of Assessment", type="date", core="Exp", origin="Collected", source="Investigator",
      crf="pasi_assessment.assessment_date"),
    common.study_day_variable("RSDY", "Study Day of Assessment", "RSDTC"),
)  # fmt: skip

VALUE_LEVEL = tuple(
    ValueLevel(variable, "RSTESTCD", code, test, kind if variable == "RSORRES" else "float", unit,
               origin=origin if variable == "RSORRES" else "Derived",
               source="Investigator" if origin == "Collected" and variable == "RSORRES" else "Sponsor",
               method=method, crf=f"pasi_assessment.{name}" if variable == "RSORRES" else "")
    for code, test, name, unit, kind, origin, method in RS_TESTS
    for variable in ("RSORRES", "RSSTRESN")
)  # fmt: skip

_TESTS_SQL = ",\n    ".join(
    f"({n}, '{code}', '{test}', {repr(unit).replace('%', '%%') if unit else 'NULL'}, r.{name}::text)"
    for n, (code, test, name, unit, *_rest) in enumerate(RS_TESTS, start=1)
)

# One row per assessment and item with a value; in order as VS's are, without sorting them again.
SQL = f"""
WITH {STUDY},
{EPOCH_END}
SELECT
    study.study_id AS "STUDYID",
    'RS' AS "DOMAIN",
    r.usubjid AS "USUBJID",
    row_number() OVER (PARTITION BY r.sort_key ORDER BY r.visitnum, r.id) AS "RSSEQ",
    t.testcd AS "RSTESTCD",
    t.test AS "RSTEST",
    '{CATEGORY}' AS "RSCAT",
    t.value AS "RSORRES",
    t.unit AS "RSORRESU",
    t.value AS "RSSTRESC",
    t.value AS "RSSTRESN",
    t.unit AS "RSSTRESU",
    r.visitnum AS "VISITNUM",
    r.visit AS "VISIT",
    r.epoch AS "EPOCH",
    r.dtc AS "RSDTC",
    r.dy AS "RSDY"
FROM (
    SELECT a.*, v.visitnum, v.visit_code AS visit,
        {USUBJID} AS usubjid,
        {common.SORT_KEY} AS sort_key,
        a.assessment_date::text AS dtc,
        {study_day_sql("a.assessment_date")} AS dy,
        {epoch_sql("a.assessment_date")} AS epoch
    FROM assessments_pasiassessment a
    JOIN subjects_participant p ON p.id = a.participant_id
    JOIN subjects_visit v ON v.id = a.visit_id
    CROSS JOIN study
    {EPOCH_JOIN}
    ORDER BY sort_key, v.visitnum, a.id
    OFFSET 0
) AS r
CROSS JOIN study
CROSS JOIN LATERAL (VALUES
    {_TESTS_SQL}
) AS t(n, testcd, test, unit, value)
WHERE t.value IS NOT NULL
ORDER BY r.sort_key, r.visitnum, r.id
"""


def rows(study, *, safety: bool = False):
    epochs = common.Epochs(study)
    assessments = common.with_epoch_facts(PasiAssessment.objects.select_related("participant", "visit"))
    assessments = assessments.order_by(common.participant_order("participant__"), "visit__visitnum", "id")
    participant, seq = None, 0
    for a in assessments.iterator(chunk_size=common.FETCH_ROWS):
        if a.participant_id != participant:
            participant, seq = a.participant_id, 0
        record = (
            a.visit.visitnum, a.visit.visit_code, epochs.of(a.assessment_date, a), common.iso_date(a.assessment_date),
            common.study_day(a.assessment_date, a.participant.day1_date),
        )  # fmt: skip
        usubjid = common.usubjid(study, a.participant)
        for code, test, name, unit, *_rest in RS_TESTS:
            value = common.text(getattr(a, name))
            if value is not None:
                seq += 1
                yield study.study_id, "RS", usubjid, seq, code, test, CATEGORY, value, unit, value, value, unit, *record


RS = Dataset(
    name="RS", label="Disease Response and Clin Classification", category="FINDINGS",
    structure="One record per PASI item per assessment per subject",
    keys=("STUDYID", "USUBJID", "RSTESTCD", "VISITNUM"), variables=VARIABLES, rows=rows, sql=SQL,
    value_level=VALUE_LEVEL,
)  # fmt: skip
