"""SV — Subject Visits: one record per planned visit that took place, was missed or was not done.

- SVPRESP: Y, every visit here is one of the schedule's (TV).
- SVOCCUR: Y when the visit has an actual date; N when it was missed (its window closed without a
  visit) or recorded as not done (also: visits after a withdrawal). Visits still to come are left out.
- SVREASOC: why a visit did not take place (the not-done reason); empty for a missed visit.
- SVSTDTC / SVENDTC: the visit date (a visit is one day); SVSTDY / SVENDY its study day.
"""

from django.db.models import Q

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import STUDY, USUBJID, study_day_sql
from subjects.models import Visit, VisitStatus

NOT_OCCURRED = (VisitStatus.MISSED, VisitStatus.NOT_DONE)

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("SV"),
    common.usubjid_variable(),
    *common.visit_variables(),
    V("SVPRESP", "Pre-specified", core="Exp", origin="Assigned", codelist="NY", comment="Y: a planned visit."),
    V("SVOCCUR", "Occurrence", core="Exp", codelist="NY", crf="visit.status",
      comment="Y when the visit took place; N when missed (window closed) or not done."),
    V("SVREASOC", "Reason for Occur Value", origin="Collected", source="Investigator", crf="visit.not_done_reason",
      comment="The reason a visit was not done."),
    V("SVSTDTC", "Start Date/Time of Visit", type="date", core="Exp", origin="Collected", source="Investigator",
      crf="visit.actual_date"),
    V("SVENDTC", "End Date/Time of Visit", type="date", core="Exp", origin="Collected", source="Investigator",
      crf="visit.actual_date", comment="SVSTDTC: a visit lasts one day."),
    common.study_day_variable("SVSTDY", "Study Day of Start of Visit", "SVSTDTC"),
    common.study_day_variable("SVENDY", "Study Day of End of Visit", "SVENDTC"),
)  # fmt: skip

SQL = f"""
WITH {STUDY}
SELECT
    study.study_id AS "STUDYID",
    'SV' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    'Y' AS "SVPRESP",
    CASE WHEN v.actual_date IS NOT NULL THEN 'Y' ELSE 'N' END AS "SVOCCUR",
    CASE WHEN v.actual_date IS NULL THEN NULLIF(v.not_done_reason, '') END AS "SVREASOC",
    v.actual_date::text AS "SVSTDTC",
    v.actual_date::text AS "SVENDTC",
    {study_day_sql("v.actual_date")} AS "SVSTDY",
    {study_day_sql("v.actual_date")} AS "SVENDY"
FROM subjects_visit v
JOIN subjects_participant p ON p.id = v.participant_id
CROSS JOIN study
WHERE v.actual_date IS NOT NULL OR v.status IN ('missed', 'not_done')
ORDER BY {common.SORT_KEY}, v.visitnum
"""


def rows(study, *, safety: bool = False):
    records = Visit.objects.filter(Q(actual_date__isnull=False) | Q(status__in=NOT_OCCURRED)).select_related(
        "participant"
    )
    records = records.order_by(common.participant_order("participant__"), "visitnum")
    for v in records.iterator(chunk_size=common.FETCH_ROWS):
        day = common.study_day(v.actual_date, v.participant.day1_date)
        on = common.iso_date(v.actual_date)
        occurred = v.actual_date is not None
        yield (
            study.study_id, "SV", common.usubjid(study, v.participant), v.visitnum, v.visit_code, "Y",
            "Y" if occurred else "N", None if occurred else common.blank_as_missing(v.not_done_reason), on, on, day,
            day,
        )  # fmt: skip


SV = Dataset(
    name="SV", label="Subject Visits", category="SPECIAL PURPOSE", structure="One record per subject per visit",
    keys=("STUDYID", "USUBJID", "VISITNUM"), variables=VARIABLES, rows=rows, sql=SQL,
)  # fmt: skip
