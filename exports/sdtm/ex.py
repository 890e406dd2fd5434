"""EX — Exposure: one record per UCMSC infusion.

- EXDOSE: the administered viable cells in units of 10^6, exactly (126 500 000 cells -> 126.5);
  EXDOSU the CDISC unit 10^6 Therapeutic Cells.
- EXADJ: the reason given for a dose outside the tolerance; EXDOSDEV (Y/N, derived by dosing.dose)
  is not an SDTMIG variable: it is published in SUPPEX.
- EXSTDTC / EXENDTC: start and end of the infusion in site time; EPOCH from EXSTDTC's date.
Safety variant (DMC reviewers): enrolled participants only.
"""

from zoneinfo import ZoneInfo

from dosing.models import Infusion
from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, local_minute_sql, study_day_sql

DOSE_UNIT = "10^6 Therapeutic Cells"
DOSE_FORM = "SUSPENSION"

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("EX"),
    common.usubjid_variable(),
    V("EXSEQ", "Sequence Number", type="integer", core="Req", crf="infusion.infusion_number",
      comment="The infusion number (1 to 5)."),
    V("EXTRT", "Name of Treatment", core="Req", origin="Protocol", comment="UCMSC."),
    V("EXDOSE", "Dose", type="float", core="Exp", method="MT.DOSE", crf="infusion.administered_cells"),
    V("EXDOSU", "Dose Units", core="Exp", origin="Assigned", codelist="UNIT"),
    V("EXDOSFRM", "Dose Form", core="Exp", origin="Protocol", codelist="FRM"),
    V("EXROUTE", "Route of Administration", origin="Collected", source="Investigator", codelist="ROUTE",
      crf="infusion.route"),
    V("EXLOT", "Lot Number", origin="Collected", source="Investigator", crf="infusion.product_lot"),
    V("EXADJ", "Reason for Dose Adjustment", origin="Collected", source="Investigator",
      crf="infusion.deviation_reason", comment="The reason given for a dose outside the tolerance."),
    *common.visit_variables(),
    common.epoch_variable("EXSTDTC"),
    V("EXSTDTC", "Start Date/Time of Treatment", type="datetime", core="Exp", origin="Collected",
      source="Investigator", crf="infusion.start_time"),
    V("EXENDTC", "End Date/Time of Treatment", type="datetime", core="Exp", origin="Collected",
      source="Investigator", crf="infusion.end_time"),
    common.study_day_variable("EXSTDY", "Study Day of Start of Treatment", "EXSTDTC"),
    common.study_day_variable("EXENDY", "Study Day of End of Treatment", "EXENDTC"),
    V("EXDOSDEV", "Dose Deviation", codelist="NY", method="MT.DOSEDEV", crf="infusion.dose_deviation", supp=True),
)  # fmt: skip

SQL = f"""
WITH {STUDY},
{EPOCH_END}
SELECT
    study.study_id AS "STUDYID",
    'EX' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    i.infusion_number AS "EXSEQ",
    '{common.TREATMENT}' AS "EXTRT",
    trim_scale(i.administered_cells / 1000000.0)::text AS "EXDOSE",
    '{DOSE_UNIT}' AS "EXDOSU",
    '{DOSE_FORM}' AS "EXDOSFRM",
    NULLIF(i.route, '') AS "EXROUTE",
    NULLIF(i.product_lot, '') AS "EXLOT",
    NULLIF(i.deviation_reason, '') AS "EXADJ",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    {epoch_sql("site.start_date")} AS "EPOCH",
    {local_minute_sql("i.start_time")} AS "EXSTDTC",
    {local_minute_sql("i.end_time")} AS "EXENDTC",
    {study_day_sql("site.start_date")} AS "EXSTDY",
    {study_day_sql("site.end_date")} AS "EXENDY",
    CASE WHEN i.dose_deviation THEN 'Y' WHEN NOT i.dose_deviation THEN 'N' END AS "EXDOSDEV"
FROM dosing_infusion i
JOIN subjects_participant p ON p.id = i.participant_id
JOIN subjects_visit v ON v.id = i.visit_id
CROSS JOIN study
{EPOCH_JOIN}
CROSS JOIN LATERAL (
    SELECT (i.start_time AT TIME ZONE study.time_zone)::date AS start_date,
        (i.end_time AT TIME ZONE study.time_zone)::date AS end_date
) AS site
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {common.SORT_KEY}, i.infusion_number
"""


def rows(study, *, safety: bool = False):
    zone = ZoneInfo(study.time_zone)
    epochs = common.Epochs(study)
    infusions = common.enrolled_only(Infusion.objects, safety, "participant__").select_related("participant", "visit")
    infusions = common.with_epoch_facts(infusions).order_by(
        common.participant_order("participant__"), "infusion_number"
    )
    for i in infusions.iterator(chunk_size=common.FETCH_ROWS):
        start, end = common.local(i.start_time, zone), common.local(i.end_time, zone)
        start_day, end_day = start and start.date(), end and end.date()
        day1 = i.participant.day1_date
        yield (
            study.study_id, "EX", common.usubjid(study, i.participant), i.infusion_number, common.TREATMENT,
            common.millions(i.administered_cells), DOSE_UNIT, DOSE_FORM, common.blank_as_missing(i.route),
            common.blank_as_missing(i.product_lot), common.blank_as_missing(i.deviation_reason), i.visit.visitnum,
            i.visit.visit_code, epochs.of(start_day, i), common.minute(start), common.minute(end),
            common.study_day(start_day, day1), common.study_day(end_day, day1), common.yes_no(i.dose_deviation),
        )  # fmt: skip


EX = Dataset(
    name="EX", label="Exposure", category="INTERVENTIONS", structure="One record per infusion per subject",
    keys=("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"), variables=VARIABLES, rows=rows, sql=SQL, safety=True,
)  # fmt: skip
