"""AE — Adverse Events: one record per adverse event.

- AETERM the verbatim term; the dictionary variables (AELLT, AELLTCD, AEDECOD = the preferred term,
  AEPTCD, AEHLT ... AESOC, AESOCCD; AEBODSYS = AESOC, the PT's primary SOC) come from the MedDRA
  lowest level term the AE is coded to (safety.ae_coding), along its primary path; an AE not coded
  yet has them empty and stays in the coding queue until a data manager codes it.
- AETOXGR: the CTCAE v5.0 grade as the investigator recorded it.
- AEREL, AEACN, AEOUT: the CDISC terms of the CRF choices.
- AEENRTPT / AEENTPT: ONGOING relative to the date of the participant's last visit, for an AE
  recorded as ongoing (SDTMIG prefers these to AEENRF).
- AETRTEM (treatment emergent: onset on or after Day 1, safety.rules.is_treatment_emergent) is not
  an SDTMIG variable: it is published in SUPPAE.
- EPOCH from AESTDTC.
Safety variant (DMC reviewers): enrolled participants only.
"""

import json

from django.db.models import OuterRef, Subquery

from coding.services import HIERARCHY_RELATED, hierarchy
from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, study_day_sql
from exports.sdtm.terminology import Codelist, plain, register
from safety import rules as safety_rules
from safety.models import ActionTaken, AdverseEvent, Outcome, Relationship
from subjects.models import Visit

RELATIONSHIP_TERMS = {
    Relationship.NOT_RELATED: "NOT RELATED",
    Relationship.UNLIKELY: "UNLIKELY",
    Relationship.POSSIBLE: "POSSIBLE",
    Relationship.PROBABLE: "PROBABLE",
    Relationship.DEFINITE: "DEFINITE",
}
ACTION_TERMS = {
    ActionTaken.DOSE_NOT_CHANGED: "DOSE NOT CHANGED",
    ActionTaken.DRUG_INTERRUPTED: "DRUG INTERRUPTED",
    ActionTaken.DRUG_WITHDRAWN: "DRUG WITHDRAWN",
    ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE",
    ActionTaken.UNKNOWN: "UNKNOWN",
}
OUTCOME_TERMS = {
    Outcome.RECOVERED: "RECOVERED/RESOLVED",
    Outcome.RECOVERING: "RECOVERING/RESOLVING",
    Outcome.NOT_RECOVERED: "NOT RECOVERED/NOT RESOLVED",
    Outcome.RECOVERED_WITH_SEQUELAE: "RECOVERED/RESOLVED WITH SEQUELAE",
    Outcome.FATAL: "FATAL",
    Outcome.UNKNOWN: "UNKNOWN",
}
ONGOING = "ONGOING"
register(
    Codelist("AEREL", "Causality (sponsor)", plain(*RELATIONSHIP_TERMS.values())),
    Codelist("ACN", "Action Taken with Study Treatment", plain(*ACTION_TERMS.values()), nci_code="C66767"),
    Codelist("OUT", "Outcome of Event", plain(*OUTCOME_TERMS.values()), nci_code="C66768"),
)
DICTIONARY = ("AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBODSYS",
              "AEBDSYCD", "AESOC", "AESOCCD")  # fmt: skip
SERIOUS = (  # (variable, label, model field)
    ("AESCONG", "Congenital Anomaly or Birth Defect", "congenital_anomaly"),
    ("AESDISAB", "Persist or Signif Disability/Incapacity", "disability"),
    ("AESDTH", "Results in Death", "death"),
    ("AESHOSP", "Requires or Prolongs Hospitalization", "hospitalization"),
    ("AESLIFE", "Is Life Threatening", "life_threatening"),
    ("AESMIE", "Other Medically Important Serious Event", "important_medical_event"),
)


def _coded(name: str, label: str, numeric: bool = False) -> Variable:
    return Variable(
        name, label, type="integer" if numeric else "text", core="Req" if name == "AEDECOD" else "Exp",
        codelist="MEDDRA", crf="adverse_event.term",
        comment="From the MedDRA lowest level term the AE is coded to, along its primary path; empty until coded.",
    )  # fmt: skip


V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("AE"),
    common.usubjid_variable(),
    V("AESEQ", "Sequence Number", type="integer", core="Req", crf="adverse_event.ae_number",
      comment="The participant's AE number."),
    V("AETERM", "Reported Term for the Adverse Event", core="Req", origin="Collected", source="Investigator",
      crf="adverse_event.term"),
    _coded("AELLT", "Lowest Level Term"),
    _coded("AELLTCD", "Lowest Level Term Code", numeric=True),
    _coded("AEDECOD", "Dictionary-Derived Term"),
    _coded("AEPTCD", "Preferred Term Code", numeric=True),
    _coded("AEHLT", "High Level Term"),
    _coded("AEHLTCD", "High Level Term Code", numeric=True),
    _coded("AEHLGT", "High Level Group Term"),
    _coded("AEHLGTCD", "High Level Group Term Code", numeric=True),
    _coded("AEBODSYS", "Body System or Organ Class"),
    _coded("AEBDSYCD", "Body System or Organ Class Code", numeric=True),
    _coded("AESOC", "Primary System Organ Class"),
    _coded("AESOCCD", "Primary System Organ Class Code", numeric=True),
    V("AESER", "Serious Event", core="Exp", origin="Collected", source="Investigator", codelist="NY",
      crf="adverse_event.serious"),
    V("AEACN", "Action Taken with Study Treatment", core="Exp", origin="Collected", source="Investigator",
      codelist="ACN", crf="adverse_event.action_taken"),
    V("AEREL", "Causality", core="Exp", origin="Collected", source="Investigator", codelist="AEREL",
      crf="adverse_event.relationship"),
    V("AEOUT", "Outcome of Adverse Event", origin="Collected", source="Investigator", codelist="OUT",
      crf="adverse_event.outcome"),
    *(V(name, label, origin="Collected", source="Investigator", codelist="NY", crf=f"adverse_event.{field}")
      for name, label, field in SERIOUS),
    V("AETOXGR", "Standard Toxicity Grade", origin="Collected", source="Investigator", codelist="TOXGR",
      crf="adverse_event.grade", comment="CTCAE v5.0 grade."),
    common.epoch_variable("AESTDTC"),
    V("AESTDTC", "Start Date/Time of Adverse Event", type="date", core="Exp", origin="Collected",
      source="Investigator", crf="adverse_event.onset_date"),
    V("AEENDTC", "End Date/Time of Adverse Event", type="date", core="Exp", origin="Collected",
      source="Investigator", crf="adverse_event.end_date"),
    common.study_day_variable("AESTDY", "Study Day of Start of Adverse Event", "AESTDTC"),
    common.study_day_variable("AEENDY", "Study Day of End of Adverse Event", "AEENDTC"),
    V("AEENRTPT", "End Relative to Reference Time Point", codelist="STENRF", crf="adverse_event.ongoing",
      comment="ONGOING for an AE recorded as ongoing."),
    V("AEENTPT", "End Reference Time Point", crf="visit.actual_date",
      comment="For an ongoing AE: the date of the participant's last visit, when it was recorded ongoing."),
    V("AETRTEM", "Treatment Emergent Flag", codelist="NY", method="MT.TRTEM", supp=True),
)  # fmt: skip

_SERIOUS_SQL = ",\n    ".join(
    f"CASE WHEN e.{field} THEN 'Y' ELSE 'N' END AS \"{name}\"" for name, _label, field in SERIOUS
)

SQL = f"""
WITH {STUDY},
{EPOCH_END},
last_visit AS (SELECT participant_id, max(actual_date) AS last_date FROM subjects_visit GROUP BY participant_id)
SELECT
    study.study_id AS "STUDYID",
    'AE' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    e.ae_number AS "AESEQ",
    NULLIF(e.term, '') AS "AETERM",
    llt.name AS "AELLT",
    llt.code AS "AELLTCD",
    pt.name AS "AEDECOD",
    pt.code AS "AEPTCD",
    hlt.name AS "AEHLT",
    hlt.code AS "AEHLTCD",
    hlgt.name AS "AEHLGT",
    hlgt.code AS "AEHLGTCD",
    soc.name AS "AEBODSYS",
    soc.code AS "AEBDSYCD",
    soc.name AS "AESOC",
    soc.code AS "AESOCCD",
    CASE WHEN e.serious THEN 'Y' ELSE 'N' END AS "AESER",
    %(action_taken)s::jsonb ->> e.action_taken AS "AEACN",
    %(relationship)s::jsonb ->> e.relationship AS "AEREL",
    %(outcome)s::jsonb ->> e.outcome AS "AEOUT",
    {_SERIOUS_SQL},
    e.grade::text AS "AETOXGR",
    {epoch_sql("e.onset_date")} AS "EPOCH",
    e.onset_date::text AS "AESTDTC",
    e.end_date::text AS "AEENDTC",
    {study_day_sql("e.onset_date")} AS "AESTDY",
    {study_day_sql("e.end_date")} AS "AEENDY",
    CASE WHEN e.ongoing THEN '{ONGOING}' END AS "AEENRTPT",
    CASE WHEN e.ongoing THEN lv.last_date::text END AS "AEENTPT",
    CASE WHEN e.onset_date >= p.day1_date THEN 'Y' ELSE 'N' END AS "AETRTEM"
FROM safety_adverseevent e
JOIN subjects_participant p ON p.id = e.participant_id
CROSS JOIN study
{EPOCH_JOIN}
LEFT JOIN last_visit lv ON lv.participant_id = p.id
LEFT JOIN coding_lowestlevelterm llt ON llt.id = e.coded_llt_id
LEFT JOIN coding_preferredterm pt ON pt.id = llt.pt_id
LEFT JOIN coding_highlevelterm hlt ON hlt.id = pt.primary_hlt_id
LEFT JOIN coding_highlevelgroupterm hlgt ON hlgt.id = pt.primary_hlgt_id
LEFT JOIN coding_systemorganclass soc ON soc.id = pt.primary_soc_id
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {common.SORT_KEY}, e.ae_number
"""


def params(study) -> dict:
    def terms(mapping):
        return json.dumps({key.value: term for key, term in mapping.items()})

    return {"relationship": terms(RELATIONSHIP_TERMS), "action_taken": terms(ACTION_TERMS),
            "outcome": terms(OUTCOME_TERMS)}  # fmt: skip


def rows(study, *, safety: bool = False):
    epochs = common.Epochs(study)
    last_visit = Visit.objects.filter(participant=OuterRef("participant"), actual_date__isnull=False)
    events = common.enrolled_only(AdverseEvent.objects, safety, "participant__")
    events = common.with_epoch_facts(
        events.select_related("participant", *(f"coded_llt__{name}" for name in HIERARCHY_RELATED)).annotate(
            last_date=Subquery(last_visit.order_by("-actual_date").values("actual_date")[:1])
        )
    ).order_by(common.participant_order("participant__"), "ae_number")
    for e in events.iterator(chunk_size=common.FETCH_ROWS):
        day1 = e.participant.day1_date
        coded = hierarchy(e.coded_llt).sdtm() if e.coded_llt_id else {}
        yield (
            study.study_id, "AE", common.usubjid(study, e.participant), e.ae_number, common.blank_as_missing(e.term),
            *(coded.get(name) for name in DICTIONARY), common.yes_no(e.serious), ACTION_TERMS.get(e.action_taken),
            RELATIONSHIP_TERMS.get(e.relationship), OUTCOME_TERMS.get(e.outcome),
            *(common.yes_no(getattr(e, field)) for _name, _label, field in SERIOUS), common.text(e.grade),
            epochs.of(e.onset_date, e), common.iso_date(e.onset_date), common.iso_date(e.end_date),
            common.study_day(e.onset_date, day1), common.study_day(e.end_date, day1), ONGOING if e.ongoing else None,
            common.iso_date(e.last_date) if e.ongoing else None,
            common.yes_no(safety_rules.is_treatment_emergent(e.onset_date, day1)),
        )  # fmt: skip


AE = Dataset(
    name="AE", label="Adverse Events", category="EVENTS", structure="One record per adverse event per subject",
    keys=("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"), variables=VARIABLES, rows=rows, sql=SQL, params=params,
    safety=True,
)  # fmt: skip
