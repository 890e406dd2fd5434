"""The CRF forms as exported: which model is which form, its SDTM domain and variable per field.

The data dictionary and the ODM metadata are both generated from these models' fields; the SDTM
variable each field maps to comes from the SDTM datasets' metadata (exports.sdtm: each variable's
`crf`), which define.xml publishes, so nothing is typed twice.
"""

from dataclasses import dataclass

from django.core import validators
from django.db import models
from django.utils import translation

from assessments.models import PasiAssessment
from deviations.models import ProtocolDeviation
from dosing.models import Infusion, VitalSigns
from exports import sdtm
from labs.models import LabPanel, LabResult
from medications.models import ConcomitantMedication, MedicalHistory
from safety.models import AdverseEvent
from subjects.models import Participant, Screening, Visit
from trialsite.audit import BOOKKEEPING_FIELDS

HIDDEN = set(BOOKKEEPING_FIELDS)  # kept by the system (id, timestamps, the edit version), never a CRF item


@dataclass(frozen=True)
class Form:
    key: str
    name: str
    model: type
    domain: str
    visit_based: bool  # one per visit (study event) rather than per participant
    repeating: bool = False


FORMS = (
    Form("participant", "Participant (registration)", Participant, "DM", visit_based=False),
    Form("screening", "Screening / eligibility", Screening, "IE", visit_based=False),
    Form("visit", "Visit", Visit, "SV", visit_based=True),
    Form("vital_signs", "Vital signs", VitalSigns, "VS", visit_based=True, repeating=True),
    Form("pasi_assessment", "PASI assessment", PasiAssessment, "RS", visit_based=True),
    Form("infusion", "Infusion", Infusion, "EX", visit_based=True),
    Form("adverse_event", "Adverse event", AdverseEvent, "AE", visit_based=False, repeating=True),
    # Not bound to a scheduled visit (a panel may be unscheduled; the others belong to the participant): in
    # ODM they are repeating item groups of the screening event, as the participant-level forms are.
    Form("lab_panel", "Laboratory panel", LabPanel, "LB", visit_based=False, repeating=True),
    Form("lab_result", "Laboratory result", LabResult, "LB", visit_based=False, repeating=True),
    Form(
        "concomitant_medication",
        "Concomitant medication",
        ConcomitantMedication,
        "CM",
        visit_based=False,
        repeating=True,
    ),
    Form("medical_history", "Medical history", MedicalHistory, "MH", visit_based=False, repeating=True),
    Form("protocol_deviation", "Protocol deviation", ProtocolDeviation, "DV", visit_based=False, repeating=True),
)


def _sdtm_index() -> dict[tuple[str, str], list[str]]:
    """(form, field) -> the SDTM variables whose values come from it, from the datasets' metadata
    (each Variable's and value-level entry's `crf`): the one source define.xml reads too."""
    index: dict[tuple[str, str], list[str]] = {}

    def add(crf: str, name: str) -> None:
        for source in filter(None, (part.strip() for part in crf.split(","))):
            form, _dot, field_name = source.partition(".")
            if field_name and name not in index.setdefault((form, field_name), []):
                index[(form, field_name)].append(name)

    for dataset in sdtm.DATASETS.values():
        for variable in dataset.variables:
            add(variable.crf, variable.name)
        for entry in dataset.value_level:
            add(entry.crf, f"{entry.variable} ({entry.where}={entry.value})")
    return index


SDTM_INDEX = _sdtm_index()


def sdtm_variables(form: str, field_name: str) -> str | None:
    """The SDTM variables a CRF field maps to, comma-separated (None: not exported as such)."""
    names = SDTM_INDEX.get((form, field_name))
    return ", ".join(names) if names else None


_UNIT_BY_SUFFIX = (("_kg", "kg"), ("_cm", "cm"), ("_percent", "%"), ("_ml", "mL"), ("_bp", "mmHg"), ("_c", "C"))
UNITS: dict[str, str] = {
    "heart_rate": "beats/min",
    "respiratory_rate": "breaths/min",
    "administered_cells": "cells",
    "planned_cells": "cells",
    "dose_per_kg": "cells/kg",
    "minutes_after_start": "min",
}


def unit_of(field_name: str) -> str:
    if field_name in UNITS:
        return UNITS[field_name]
    return next((unit for suffix, unit in _UNIT_BY_SUFFIX if field_name.endswith(suffix)), "")


def data_fields(model) -> list[models.Field]:
    """The fields a form carries (not ids, timestamps, versions or links to other records)."""
    return [f for f in model._meta.concrete_fields if f.name not in HIDDEN and not f.is_relation]


TYPE_NAMES = {
    models.BooleanField: "boolean",
    models.DateTimeField: "datetime",
    models.DateField: "date",
    models.DecimalField: "decimal",
    models.IntegerField: "integer",
    models.JSONField: "list",
    models.TextField: "text",
    models.CharField: "text",
}


def type_of(field: models.Field) -> str:
    return next((name for cls, name in TYPE_NAMES.items() if isinstance(field, cls)), "text")


def value_range(field: models.Field) -> tuple[str | None, str | None]:
    low = high = None
    for v in field._validators:  # the declared ranges, not the database column limits
        if isinstance(v, validators.MinValueValidator):
            low = str(v.limit_value)
        elif isinstance(v, validators.MaxValueValidator):
            high = str(v.limit_value)
    return low, high


def dictionary() -> list[dict]:
    """The define-like data dictionary: one entry per (form, field), in English whatever the reader's
    language (an export, like define.xml)."""
    with translation.override(None):
        return _dictionary_entries()


def _dictionary_entries() -> list[dict]:
    entries = []
    for form in FORMS:
        for field in data_fields(form.model):
            low, high = value_range(field)
            entries.append(
                {
                    "form": form.key,
                    "form_name": form.name,
                    "domain": form.domain,
                    "field": field.name,
                    "label": str(field.verbose_name),
                    "type": type_of(field),
                    "max_length": getattr(field, "max_length", None) if type_of(field) == "text" else None,
                    "decimal_places": getattr(field, "decimal_places", None) if type_of(field) == "decimal" else None,
                    "unit": unit_of(field.name),
                    "range": f"{low or ''}..{high or ''}" if (low or high) else None,
                    "choices": [value for value, _label in field.choices] if field.choices else None,
                    "required": not (field.null or field.blank) and field.editable,
                    "derived": not field.editable,
                    "sdtm_variable": sdtm_variables(form.key, field.name),
                }
            )
    return entries
