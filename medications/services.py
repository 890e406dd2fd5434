"""The one door for writing concomitant medications and medical history (PROTOCOL §9, §10)."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from medications import classification, rules
from medications.models import ConcomitantMedication, partial_or_none
from subjects.models import Participant
from subjects.sitetime import site_today
from trialsite.audit import audited_save, check_version

CM_FIELDS = (
    "medication",
    "medication_class",
    "indication",
    "dose",
    "dose_unit",
    "frequency",
    "route",
    "start_date",
    "end_date",
    "ongoing",
)


def _partial_text(name: str, value, errors: dict) -> str:
    """A partial date given as text (or a date) in its ISO form; "" when empty."""
    if value in (None, ""):
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    try:
        return partial_or_none(text.strip()).isoformat()
    except ValueError as error:
        errors[name] = [str(error)]
        return ""


def _clean_cm(participant: Participant, values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    data = {name: values.get(name) for name in CM_FIELDS}
    for name in ("medication", "indication"):
        data[name] = (data[name] or "").strip()
        if not data[name]:
            errors[name] = [_("This field is required.")]
    if data["medication_class"] not in classification.CLASSES_BY_KEY:
        suggestion = classification.suggest_class(data["medication"] or "")
        errors["medication_class"] = [
            _("Choose the class (suggested: %(s)s).") % {"s": suggestion} if suggestion else _("Choose the class.")
        ]
    if data["route"] not in {code for code, _label, _s in classification.ROUTES}:
        errors["route"] = [_("Choose the route.")]
    data["dose_unit"] = data["dose_unit"] or ""
    data["frequency"] = data["frequency"] or ""
    if data["dose_unit"] and data["dose_unit"] not in classification.MG_PER_UNIT:
        errors["dose_unit"] = [_("Choose a unit from the list.")]
    if data["frequency"] and data["frequency"] not in classification.ADMINISTRATIONS_PER_DAY:
        errors["frequency"] = [_("Choose a frequency from the list.")]
    try:
        dose = data["dose"]
        if dose in (None, ""):
            dose = None
        elif isinstance(dose, (bool, float)):
            raise InvalidOperation
        else:
            dose = Decimal(str(dose))
            if not dose.is_finite() or dose < 0 or dose != dose.quantize(Decimal("0.001")) or dose >= 10**7:
                raise InvalidOperation
        data["dose"] = dose
    except (InvalidOperation, ValueError):
        errors["dose"] = [_("Enter a dose from 0, at most 3 decimal places.")]
    data["ongoing"] = bool(data["ongoing"])
    data["start_date"] = _partial_text("start_date", data["start_date"], errors)
    data["end_date"] = _partial_text("end_date", data["end_date"], errors)
    if not errors:
        for field, messages in rules.medication_date_errors(
            start=partial_or_none(data["start_date"]),
            end=partial_or_none(data["end_date"]),
            ongoing=data["ongoing"],
            consent_date=participant.consent_date,
            today=site_today(),
        ).items():
            errors[field] = messages
    if errors:
        raise ValidationError(errors)
    return data


def cm_record(
    *,
    participant: Participant,
    user,
    record: ConcomitantMedication | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    **values,
) -> ConcomitantMedication:
    """Record a concomitant medication or, with `record` and a `reason`, correct it. Prior or
    concomitant, prohibited and deviation due are derived (PROTOCOL §9); a prohibited medication taken
    after consent makes a protocol deviation (the deviations app, after this write)."""
    data = _clean_cm(participant, values)
    if record is not None and not (reason or "").strip():
        raise ValidationError(
            {"reason_for_change": [_("A reason for change is required to change data that has already been saved.")]}
        )
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if record is None:
            record = ConcomitantMedication(participant=participant)
        else:
            check_version(record, expected_version)
            record.participant = participant
        for name, value in data.items():
            setattr(record, name, value)
        record.derive()
        return audited_save(record, user=user, reason=reason, expected_version=expected_version)


def cm_day1_refresh(*, participant: Participant, user) -> int:
    """Re-derive prior/concomitant of the participant's medications after Day 1 changed (dosing calls
    this); each one that changes is saved with its own history record. Returns how many."""
    changed = 0
    for medication in ConcomitantMedication.objects.filter(participant=participant).order_by("pk"):
        before = medication.prior_or_concomitant
        medication.participant = participant
        medication.derive()
        if medication.prior_or_concomitant != before:
            audited_save(
                medication, user=user, reason=f"Prior/concomitant derived again (Day 1 {participant.day1_date})"
            )
            changed += 1
    return changed
