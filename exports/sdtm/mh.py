"""MH — Medical History: one record per item of the participant's medical history (PROTOCOL §10).

- MHCAT: PSORIASIS, PRIOR PSORIASIS THERAPY or OTHER CONDITION. MHSCAT: the psoriasis type for the
  psoriasis itself, the therapy type (TOPICAL, PHOTOTHERAPY, CONVENTIONAL SYSTEMIC, BIOLOGIC, STEM CELL,
  OTHER) for a prior therapy.
- MHSTDTC (year of diagnosis for the psoriasis) and MHENDTC (last dose of a prior therapy) with only the
  known parts. Ongoing: MHENRTPT ONGOING with MHENTPT the consent date (when it was recorded ongoing).
"""

import json

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import SORT_KEY, STUDY, USUBJID
from exports.sdtm.terminology import Codelist, plain, register
from medications import history
from medications.models import MedicalHistory

CATEGORY_LABELS = {key: label.upper() for key, label in history.CATEGORIES}
SUBCATEGORY_LABELS = {key: label.upper() for key, label in (*history.PSORIASIS_TYPES, *history.THERAPY_TYPES)}
register(
    Codelist("MHCAT", "Category for Medical History", plain(*CATEGORY_LABELS.values())),
    Codelist("MHSCAT", "Subcategory for Medical History", plain(*dict.fromkeys(SUBCATEGORY_LABELS.values()))),
)

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("MH"),
    common.usubjid_variable(),
    V("MHSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's records in order."),
    V("MHTERM", "Reported Term for the Medical History", core="Req", origin="Collected", source="Investigator",
      crf="medical_history.term"),
    V("MHCAT", "Category for Medical History", origin="Collected", source="Investigator", codelist="MHCAT",
      crf="medical_history.category"),
    V("MHSCAT", "Subcategory for Medical History", origin="Collected", source="Investigator", codelist="MHSCAT",
      crf="medical_history.psoriasis_type, medical_history.therapy_type"),
    V("MHSTDTC", "Start Date/Time of Medical History Event", type="date", origin="Collected", source="Investigator",
      crf="medical_history.start_date"),
    V("MHENDTC", "End Date/Time of Medical History Event", type="date", origin="Collected", source="Investigator",
      crf="medical_history.end_date"),
    V("MHENRTPT", "End Relative to Reference Time Point", codelist="STENRF", crf="medical_history.ongoing"),
    V("MHENTPT", "End Reference Time Point", type="date", comment="The consent date."),
)  # fmt: skip

# Partial dates are stored as their ISO 8601 text: published as stored, an empty one as missing.
SQL = f"""
WITH {STUDY}
SELECT
    study.study_id AS "STUDYID",
    'MH' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY {SORT_KEY} ORDER BY m.id) AS "MHSEQ",
    NULLIF(m.term, '') AS "MHTERM",
    %(categories)s::jsonb ->> m.category AS "MHCAT",
    %(subcategories)s::jsonb ->> COALESCE(NULLIF(m.psoriasis_type, ''), NULLIF(m.therapy_type, '')) AS "MHSCAT",
    NULLIF(m.start_date, '') AS "MHSTDTC",
    NULLIF(m.end_date, '') AS "MHENDTC",
    CASE WHEN m.ongoing THEN 'ONGOING' END AS "MHENRTPT",
    CASE WHEN m.ongoing THEN p.consent_date::text END AS "MHENTPT"
FROM medications_medicalhistory m
JOIN subjects_participant p ON p.id = m.participant_id
CROSS JOIN study
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {SORT_KEY}, m.id
"""


def params(study) -> dict:
    return {"categories": json.dumps(CATEGORY_LABELS), "subcategories": json.dumps(SUBCATEGORY_LABELS)}


def rows(study, *, safety: bool = False):
    records = common.enrolled_only(MedicalHistory.objects, safety, prefix="participant__").select_related("participant")
    records = records.order_by(common.participant_order("participant__"), "id")
    participant, seq = None, 0
    for m in records.iterator(chunk_size=common.FETCH_ROWS):
        if m.participant_id != participant:
            participant, seq = m.participant_id, 0
        seq += 1
        sub = m.psoriasis_type or m.therapy_type
        yield (
            study.study_id, "MH", common.usubjid(study, m.participant), seq, common.blank_as_missing(m.term),
            CATEGORY_LABELS[m.category], SUBCATEGORY_LABELS.get(sub) if sub else None, m.start_date or None,
            m.end_date or None, "ONGOING" if m.ongoing else None,
            m.participant.consent_date.isoformat() if m.ongoing else None,
        )  # fmt: skip


MH = Dataset(
    name="MH", label="Medical History", category="EVENTS",
    structure="One record per medical history event per subject",
    keys=("STUDYID", "USUBJID", "MHSEQ"), variables=VARIABLES, rows=rows, sql=SQL, params=params,
)  # fmt: skip
