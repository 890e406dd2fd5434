"""DV — Protocol Deviations: one record per protocol deviation in the log (PROTOCOL §11).

- Derived deviations (a visit outside its window, a dose deviation, a missed infusion, a prohibited
  medication) and those recorded by hand; a derived deviation whose cause was corrected away
  (withdrawn) is left out.
- DVTERM the description; DVCAT the protocol's category; DVSCAT how it was found (the derivation, or
  RECORDED BY HAND). DVSTDTC its date, when known. EPOCH from DVSTDTC's date.
"""

import json

from deviations.models import Category, ProtocolDeviation, Source
from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, SORT_KEY, STUDY, USUBJID, epoch_sql, study_day_sql
from exports.sdtm.terminology import Codelist, plain, register

# From the stored values, never the (translated) labels.
CATEGORIES = {value: value.replace("_", " ").upper() for value in Category.values}
SOURCES = {value: value.replace("_", " ").upper() for value in Source.values}
SOURCES[Source.MANUAL] = "RECORDED BY HAND"
register(
    Codelist("DVCAT", "Category for Protocol Deviation", plain(*CATEGORIES.values())),
    Codelist("DVSCAT", "Subcategory for Protocol Deviation", plain(*SOURCES.values())),
)

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("DV"),
    common.usubjid_variable(),
    V("DVSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's records in order."),
    V("DVTERM", "Protocol Deviation Term", core="Req", crf="protocol_deviation.description",
      comment="The description recorded, or the derivation's for a derived deviation."),
    V("DVCAT", "Category for Protocol Deviation", codelist="DVCAT", crf="protocol_deviation.category"),
    V("DVSCAT", "Subcategory for Protocol Deviation", codelist="DVSCAT",
      comment="Visit outside its window, dose deviation, missed infusion, prohibited medication or recorded by hand."),
    common.epoch_variable("DVSTDTC"),
    V("DVSTDTC", "Start Date/Time of Deviation", type="date", crf="protocol_deviation.deviation_date"),
    common.study_day_variable("DVSTDY", "Study Day of Start of Deviation", "DVSTDTC"),
)  # fmt: skip

# Ordered by date, a deviation without one last (ascending order puts NULL last, as in Python).
SQL = f"""
WITH {STUDY},
{EPOCH_END}
SELECT
    study.study_id AS "STUDYID",
    'DV' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY {SORT_KEY} ORDER BY d.deviation_date, d.id) AS "DVSEQ",
    NULLIF(d.description, '') AS "DVTERM",
    %(categories)s::jsonb ->> d.category AS "DVCAT",
    %(sources)s::jsonb ->> d.source AS "DVSCAT",
    {epoch_sql("d.deviation_date")} AS "EPOCH",
    d.deviation_date::text AS "DVSTDTC",
    {study_day_sql("d.deviation_date")} AS "DVSTDY"
FROM deviations_protocoldeviation d
JOIN subjects_participant p ON p.id = d.participant_id
CROSS JOIN study
{EPOCH_JOIN}
WHERE NOT d.withdrawn AND (NOT %(safety)s OR p.subject_id IS NOT NULL)
ORDER BY {SORT_KEY}, d.deviation_date, d.id
"""


def params(study) -> dict:
    return {"categories": json.dumps(CATEGORIES), "sources": json.dumps(SOURCES)}


def rows(study, *, safety: bool = False):
    epochs = common.Epochs(study)
    records = common.with_epoch_facts(
        common.enrolled_only(
            ProtocolDeviation.objects.filter(withdrawn=False), safety, prefix="participant__"
        ).select_related("participant")
    ).order_by(common.participant_order("participant__"), "deviation_date", "id")
    participant, seq = None, 0
    for d in records.iterator(chunk_size=common.FETCH_ROWS):
        if d.participant_id != participant:
            participant, seq = d.participant_id, 0
        seq += 1
        on = d.deviation_date
        yield (
            study.study_id, "DV", common.usubjid(study, d.participant), seq, common.blank_as_missing(d.description),
            CATEGORIES[d.category], SOURCES[d.source], epochs.of(on, d) if on else None, common.iso_date(on),
            common.study_day(on, d.participant.day1_date),
        )  # fmt: skip


DV = Dataset(
    name="DV", label="Protocol Deviations", category="EVENTS",
    structure="One record per protocol deviation per subject",
    keys=("STUDYID", "USUBJID", "DVSEQ"), variables=VARIABLES, rows=rows, sql=SQL, params=params,
)  # fmt: skip
