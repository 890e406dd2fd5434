"""The one door for writing concomitant medications and medical history (PROTOCOL §9, §10)."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from medications import classification, history, rules
from medications.messages import Message
from medications.models import ConcomitantMedication, MedicalHistory, WashoutOverride, partial_or_none
from subjects import services as subject_services
from subjects.models import Participant, ParticipantStatus, Screening
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


def shown(message: str) -> str:
    """A rule module's message in the reader's language (they are written in English, no Django there)."""
    if isinstance(message, Message):
        return _(message.template) % message.values
    return message


def _partial_text(name: str, value, errors: dict) -> str:
    """A partial date given as text (or a date) in its ISO form; "" when empty."""
    if value in (None, ""):
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    try:
        return partial_or_none(text.strip()).isoformat()
    except ValueError as error:
        errors[name] = [shown(error.args[0])]
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
            _("Choose the class (suggested: %(s)s).") % {"s": _(classification.CLASSES_BY_KEY[suggestion].label)}
            if suggestion
            else _("Choose the class.")
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
            errors[field] = [shown(message) for message in messages]
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


# Medical history and washout (PROTOCOL §10) --------------------------------------------------------

MH_FIELDS = ("category", "term", "psoriasis_type", "therapy_type", "start_date", "end_date", "ongoing")


def _clean_mh(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    data = {name: values.get(name) for name in MH_FIELDS}
    data["term"] = (data["term"] or "").strip()
    data["psoriasis_type"] = data["psoriasis_type"] or ""
    data["therapy_type"] = data["therapy_type"] or ""
    data["ongoing"] = bool(data["ongoing"])
    if not data["term"]:
        errors["term"] = [_("This field is required.")]
    categories = {key for key, _label in history.CATEGORIES}
    if data["category"] not in categories:
        errors["category"] = [_("Choose a category.")]
    if data["category"] == "prior_psoriasis_therapy" and not data["therapy_type"]:
        errors["therapy_type"] = [_("Choose the type of the prior therapy.")]
    if data["category"] != "prior_psoriasis_therapy" and data["therapy_type"]:
        errors["therapy_type"] = [_("Only a prior psoriasis therapy has a therapy type.")]
    if data["category"] != "psoriasis" and data["psoriasis_type"]:
        errors["psoriasis_type"] = [_("Only the psoriasis itself has a psoriasis type.")]
    data["start_date"] = _partial_text("start_date", data["start_date"], errors)
    data["end_date"] = _partial_text("end_date", data["end_date"], errors)
    if "start_date" not in errors and "end_date" not in errors:
        from medications.partial_dates import period_errors

        period = period_errors(
            partial_or_none(data["start_date"]),
            partial_or_none(data["end_date"]),
            ongoing=data["ongoing"],
            today=site_today(),
        )
        # The psoriasis itself and other conditions may be ongoing or ended; an unknown end is allowed
        # for history (only the certainly wrong is refused).
        period.pop("ongoing", None)
        errors.update({field: [shown(message) for message in messages] for field, messages in period.items()})
    if errors:
        raise ValidationError(errors)
    return data


def mh_record(
    *,
    participant: Participant,
    user,
    record: MedicalHistory | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    **values,
) -> MedicalHistory:
    """Record an item of medical history, or correct one (with `reason`); the washout exclusions of the
    screening are derived again from the prior therapies (washout_apply)."""
    data = _clean_mh(values)
    if record is not None and not (reason or "").strip():
        raise ValidationError(
            {"reason_for_change": [_("A reason for change is required to change data that has already been saved.")]}
        )
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if record is None:
            record = MedicalHistory(participant=participant)
        else:
            check_version(record, expected_version)
        for name, value in data.items():
            setattr(record, name, value)
        audited_save(record, user=user, reason=reason, expected_version=expected_version)
        washout_apply(participant=participant, user=user)
        return record


def washout_day1(participant: Participant):
    """Day 1 for the washout: the actual one once dosed, else the planned one of the screening."""
    if participant.day1_date:
        return participant.day1_date
    screening = Screening.objects.filter(participant=participant).first()
    return screening.planned_day1_date if screening else None


def washout_derived(participant: Participant) -> dict[str, bool] | None:
    """The two exclusion items as the medical history implies them (None without Day 1 or history)."""
    day1 = washout_day1(participant)
    items = list(MedicalHistory.objects.filter(participant=participant))
    if day1 is None or not items:
        return None
    therapies = [t for t in (item.as_prior_therapy() for item in items) if t is not None]
    return history.derived_exclusions(therapies, day1=day1)


def washout_apply(*, participant: Participant, user) -> dict[str, bool] | None:
    """Set the screening's washout exclusion items to the derived values (the investigator's override
    wins where there is one). Nothing to set before the screening form exists."""
    derived = washout_derived(participant)
    screening = Screening.objects.filter(participant=participant).first()
    if (
        derived is None
        or screening is None
        or participant.status not in (ParticipantStatus.SCREENING, ParticipantStatus.ENROLLED)
    ):
        return derived
    overrides = {o.item: o.value for o in WashoutOverride.objects.filter(participant=participant)}
    wanted = {item: overrides.get(item, value) for item, value in derived.items()}
    if any(getattr(screening, item) != value for item, value in wanted.items()):
        sources = ", ".join(
            f"{item} {'overridden by the investigator' if item in overrides else 'derived'}" for item in wanted
        )
        subject_services.screening_save(
            participant=participant,
            user=user,
            reason=f"Washout from the medical history (PROTOCOL §10): {sources}",
            **wanted,
        )
    return derived


def washout_override_set(
    *, participant: Participant, user, item: str, value: bool, reason: str, expected_version: int | None = None
) -> WashoutOverride:
    """The investigator answers a derived exclusion item differently, with a reason (kept over the derived).

    `expected_version`: the version of the item's override the investigator saw (0: none); EditConflict
    when another override was saved meanwhile."""
    if item not in dict(WashoutOverride.ITEMS):
        raise ValidationError({"item": [_("Choose an exclusion item.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for overriding the derived answer.")]})
    with transaction.atomic():
        # Locked: two overrides of one participant are saved one after the other, never side by side.
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        override = WashoutOverride.objects.filter(participant=participant, item=item).first()
        if override is None:
            override = WashoutOverride(participant=participant, item=item)
        elif expected_version is not None:
            check_version(override, expected_version)
        override.value, override.reason = value, reason.strip()
        audited_save(override, user=user, reason=None if override.pk is None else reason)
        washout_apply(participant=participant, user=user)
        return override
