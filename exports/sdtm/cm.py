"""CM — Concomitant/Prior Medications: one record per medication recorded (PROTOCOL §9).

- CMSTDTC/CMENDTC are ISO 8601 dates with only the known parts (partial dates). A medication started
  before the collection period (30 days before consent) has no CMSTDTC: CMSTRTPT BEFORE, CMSTTPT the
  first day of that period. An ongoing one: CMENRTPT ONGOING, CMENTPT the date of export.
- EPOCH from CMSTDTC when it is a whole date: none for a medication started before consent (pre-study),
  nor for a partial or unknown start (its epoch cannot be told).
- CMPRCON (SUPPCM): PRIOR or CONCOMITANT against Day 1 (ended before Day 1: prior; a medication ending on
  Day 1 is concomitant); CMPROHIB (SUPPCM): why it is prohibited, when it is.
"""

import json
from datetime import date

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, SORT_KEY, STUDY, USUBJID, epoch_sql
from exports.sdtm.terminology import Codelist, plain, register
from medications import classification, rules
from medications.models import ConcomitantMedication
from subjects.sitetime import site_today

register(
    Codelist("CMROUTE", "Route of Administration", plain(*(code for code, _l, _s in classification.ROUTES)),
             nci_code="C66729"),
    Codelist("CMFREQ", "Frequency", plain(*(code for code, _l, _p in classification.FREQUENCIES)), nci_code="C71113"),
    Codelist("CMPRCON", "Prior or Concomitant", plain("CONCOMITANT", "PRIOR")),
    Codelist("STENRF", "Relation to Reference Period", plain("BEFORE", "ONGOING"), nci_code="C66728"),
)  # fmt: skip

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("CM"),
    common.usubjid_variable(),
    V("CMSEQ", "Sequence Number", type="integer", core="Req", comment="In entry order."),
    V("CMTRT", "Reported Name of Drug, Med, or Therapy", core="Req", origin="Collected", source="Investigator",
      crf="concomitant_medication.medication"),
    V("CMCLAS", "Medication Class", origin="Collected", source="Investigator",
      crf="concomitant_medication.medication_class"),
    V("CMINDC", "Indication", origin="Collected", source="Investigator", crf="concomitant_medication.indication"),
    V("CMDOSE", "Dose per Administration", type="float", origin="Collected", source="Investigator",
      crf="concomitant_medication.dose"),
    V("CMDOSU", "Dose Units", origin="Collected", source="Investigator", crf="concomitant_medication.dose_unit"),
    V("CMDOSFRQ", "Dosing Frequency per Interval", codelist="CMFREQ", origin="Collected", source="Investigator",
      crf="concomitant_medication.frequency"),
    V("CMROUTE", "Route of Administration", codelist="CMROUTE", origin="Collected", source="Investigator",
      crf="concomitant_medication.route"),
    common.epoch_variable("CMSTDTC"),
    V("CMSTDTC", "Start Date/Time of Medication", type="date", origin="Collected", source="Investigator",
      crf="concomitant_medication.start_date"),
    V("CMENDTC", "End Date/Time of Medication", type="date", origin="Collected", source="Investigator",
      crf="concomitant_medication.end_date"),
    V("CMSTRTPT", "Start Relative to Reference Time Point", codelist="STENRF",
      comment="BEFORE when the medication started before the collection period."),
    V("CMSTTPT", "Start Reference Time Point", type="date", comment="First day of the collection period."),
    V("CMENRTPT", "End Relative to Reference Time Point", codelist="STENRF",
      crf="concomitant_medication.ongoing", comment="ONGOING when not ended."),
    V("CMENTPT", "End Reference Time Point", type="date", comment="The date of the export."),
    V("CMPRCON", "Prior or Concomitant", codelist="CMPRCON", method="MT.CMPRCON", supp=True),
    V("CMPROHIB", "Prohibited Medication Reason", supp=True,
      comment="Why the medication is prohibited (PROTOCOL section 9), when it is."),
)  # fmt: skip

CLASS_LABELS = {item.key: item.label for item in classification.MEDICATION_CLASSES}

# Partial dates are stored as their ISO 8601 text: published as stored, an empty one as missing.
SQL = f"""
WITH {STUDY},
{EPOCH_END}
SELECT
    study.study_id AS "STUDYID",
    'CM' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY {SORT_KEY} ORDER BY m.id) AS "CMSEQ",
    NULLIF(m.medication, '') AS "CMTRT",
    %(classes)s::jsonb ->> m.medication_class AS "CMCLAS",
    NULLIF(m.indication, '') AS "CMINDC",
    trim_scale(m.dose)::text AS "CMDOSE",
    NULLIF(m.dose_unit, '') AS "CMDOSU",
    NULLIF(m.frequency, '') AS "CMDOSFRQ",
    NULLIF(m.route, '') AS "CMROUTE",
    CASE WHEN length(m.start_date) = 10 THEN {epoch_sql("m.start_date::date")} END AS "EPOCH",
    NULLIF(m.start_date, '') AS "CMSTDTC",
    NULLIF(m.end_date, '') AS "CMENDTC",
    CASE WHEN m.start_date = '' THEN 'BEFORE' END AS "CMSTRTPT",
    CASE WHEN m.start_date = '' THEN (p.consent_date - {rules.COLLECTION_DAYS_BEFORE_CONSENT})::text END AS "CMSTTPT",
    CASE WHEN m.ongoing THEN 'ONGOING' END AS "CMENRTPT",
    CASE WHEN m.ongoing THEN %(today)s::text END AS "CMENTPT",
    NULLIF(upper(m.prior_or_concomitant), '') AS "CMPRCON",
    %(prohibited)s::jsonb ->> NULLIF(m.prohibited_reason, '') AS "CMPROHIB"
FROM medications_concomitantmedication m
JOIN subjects_participant p ON p.id = m.participant_id
CROSS JOIN study
{EPOCH_JOIN}
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {SORT_KEY}, m.id
"""


def params(study) -> dict:
    return {"classes": json.dumps(CLASS_LABELS), "prohibited": json.dumps(rules.PROHIBITED_REASONS),
            "today": site_today(study).isoformat()}  # fmt: skip


def rows(study, *, safety: bool = False):
    today = site_today(study).isoformat()
    epochs = common.Epochs(study)
    records = common.enrolled_only(ConcomitantMedication.objects, safety, prefix="participant__").select_related(
        "participant"
    )
    records = common.with_epoch_facts(records)
    records = records.order_by(common.participant_order("participant__"), "id")
    participant, seq = None, 0
    for m in records.iterator(chunk_size=common.FETCH_ROWS):
        if m.participant_id != participant:
            participant, seq = m.participant_id, 0
        seq += 1
        before = not m.start_date
        started = date.fromisoformat(m.start_date) if len(m.start_date) == 10 else None  # partial: no epoch
        yield (
            study.study_id, "CM", common.usubjid(study, m.participant), seq, common.blank_as_missing(m.medication),
            CLASS_LABELS[m.medication_class], common.blank_as_missing(m.indication),
            None if m.dose is None else format(m.dose.normalize(), "f"), m.dose_unit or None, m.frequency or None,
            m.route or None, epochs.of(started, m),
            m.start_date or None, m.end_date or None, "BEFORE" if before else None,
            rules.collection_start(m.participant.consent_date).isoformat() if before else None,
            "ONGOING" if m.ongoing else None, today if m.ongoing else None,
            m.prior_or_concomitant.upper() or None,
            rules.PROHIBITED_REASONS.get(m.prohibited_reason) if m.prohibited_reason else None,
        )  # fmt: skip


CM = Dataset(
    name="CM", label="Concomitant/Prior Medications", category="INTERVENTIONS",
    structure="One record per recorded medication per subject",
    keys=("STUDYID", "USUBJID", "CMSEQ"), variables=VARIABLES, rows=rows, sql=SQL, params=params,
)  # fmt: skip
