"""The CRF record types: every kind of clinical record, named once.

Data management (queries, source data verification, locks), signatures and the casebook work over
these names rather than over each model, so a new form joins all of them by adding one line here.
Models are named by label so that this ground-layer module imports no app.

`participant` and `visit` are the attribute paths from a record to its participant and visit
("" when the record is the participant, None when it has no visit).
"""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q


@dataclass(frozen=True)
class RecordType:
    name: str  # the API's record_type
    model: str  # app_label.ModelName
    participant: str  # path from the record to its participant ("" = the record itself)
    visit: str | None  # path from the record to its visit (None: not visit-bound)

    def model_class(self):
        return apps.get_model(self.model)


RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType("participant", "subjects.Participant", "", None),
        RecordType("screening", "subjects.Screening", "participant", None),
        RecordType("visit", "subjects.Visit", "participant", ""),
        RecordType("vital_signs", "dosing.VitalSigns", "participant", "visit"),
        RecordType("infusion", "dosing.Infusion", "participant", "visit"),
        RecordType("pasi_assessment", "assessments.PasiAssessment", "participant", "visit"),
        RecordType("adverse_event", "safety.AdverseEvent", "participant", None),
        RecordType("safety_hold", "safety.SafetyHold", "participant", None),
        RecordType("lab_panel", "labs.LabPanel", "participant", "visit"),
        RecordType("lab_result", "labs.LabResult", "participant", "panel.visit"),
        RecordType("concomitant_medication", "medications.ConcomitantMedication", "participant", None),
        RecordType("medical_history", "medications.MedicalHistory", "participant", None),
        RecordType("protocol_deviation", "deviations.ProtocolDeviation", "participant", None),
    )
}


def record_type_of(obj) -> RecordType | None:
    """The record type of a model instance (or model class), None when it is not a CRF record."""
    label = obj._meta.label
    return next((rt for rt in RECORD_TYPES.values() if rt.model == label), None)


def _follow(obj, path: str | None):
    if path is None:
        return None
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part)
    return obj


def participant_of(obj):
    rt = record_type_of(obj)
    return _follow(obj, rt.participant) if rt else None


def visit_of_record(obj):
    rt = record_type_of(obj)
    return _follow(obj, rt.visit) if rt else None


def of_records(records: dict[str, set[int]]) -> Q:
    """The filter of rows pointing at any of `records` ({record type: {pk, …}}) by their
    record_type/record_id columns (queries, SDV marks, locks, signatures)."""
    condition = Q()
    for record_type, pks in records.items():
        condition |= Q(record_type=record_type, record_id__in=pks)
    return condition
