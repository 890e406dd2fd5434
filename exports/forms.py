"""The CRF forms as exported: which model is which form, its SDTM domain and variable per field.

The data dictionary and the ODM metadata are both generated from these models' fields plus
this one small mapping (VS/RS test codes come from sdtm.py), so nothing is typed twice.
"""

from dataclasses import dataclass

from django.core import validators
from django.db import models

from assessments.models import PasiAssessment
from dosing.models import Infusion, VitalSigns
from exports import sdtm
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
)

SDTM_VARIABLES: dict[str, dict[str, str]] = {
    "participant": {
        "subject_id": "SUBJID",
        "usubjid": "USUBJID",
        "site_id": "SITEID",
        "sex": "SEX",
        "date_of_birth": "BRTHDTC, AGE",
        "consent_date": "RFICDTC",
        "day1_date": "RFSTDTC",
        "withdrawal_date": "DSSTDTC",
        "withdrawal_reason": "DSTERM",
    },
    "screening": {"failed_criteria": "IETESTCD, IETEST, IECAT, IEORRES", "screening_date": "IEDTC"},
    "visit": {"visit_code": "VISIT", "visitnum": "VISITNUM", "actual_date": "SVSTDTC"},
    "vital_signs": {
        "timepoint": "VSTPT, VSTPTNUM",
        "minutes_after_start": "VSELTM",
        "measured_at": "VSDTC",
        **{f: f"VSORRES (VSTESTCD={code})" for code, _l, f, _u in sdtm.VS_TESTS},
    },
    "pasi_assessment": {
        "assessment_date": "RSDTC",
        **{f: f"RSORRES (RSTESTCD={code})" for code, _l, f, _u in sdtm.RS_TESTS},
    },
    "infusion": {
        "infusion_number": "EXSEQ",
        "administered_cells": "EXDOSE (EXDOSU=10^6 cells)",
        "product_lot": "EXLOT",
        "route": "EXROUTE",
        "start_time": "EXSTDTC",
        "end_time": "EXENDTC",
        "dose_deviation": "EXDOSDEV",
        "deviation_reason": "EXADJ",
    },
    "adverse_event": {
        "ae_number": "AESEQ",
        "term": "AETERM, AEDECOD",
        "onset_date": "AESTDTC",
        "end_date": "AEENDTC",
        "ongoing": "AEENRF",
        "grade": "AETOXGR",
        "serious": "AESER",
        "death": "AESDTH",
        "life_threatening": "AESLIFE",
        "hospitalization": "AESHOSP",
        "disability": "AESDISAB",
        "congenital_anomaly": "AESCONG",
        "important_medical_event": "AESMIE",
        "relationship": "AEREL",
        "action_taken": "AEACN",
        "outcome": "AEOUT",
    },
}

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
    """The define-like data dictionary: one entry per (form, field)."""
    entries = []
    for form in FORMS:
        mapping = SDTM_VARIABLES.get(form.key, {})
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
                    "sdtm_variable": mapping.get(field.name),
                }
            )
    return entries
