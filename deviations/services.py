"""The protocol deviations log (PROTOCOL §11): derived deviations kept in step with the records they
come from, and deviations recorded by hand.

Derived: a visit done outside its window, an infusion with a dose deviation, a dosing visit missed
or not done (a missed infusion), a prohibited medication taken after consent (§9, which also
notifies the investigators). `deviations_sync` runs after every write of a visit, an infusion or a
medication (settings.AUDITED_AFTER_WRITE → deviations.hooks), in the writing transaction.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from deviations.models import DESCRIPTIONS, VISIT_MISSED, Category, ProtocolDeviation, Source
from dosing.models import Infusion
from medications import rules
from medications.models import ConcomitantMedication
from safety.models import Notification
from subjects.models import Participant, Study, Visit, VisitDefinition, VisitStatus
from subjects.sitetime import site_date
from trialsite.audit import audited_save, check_version
from trialsite.tasking import enqueue_on_commit

SYSTEM_REASON = "Derived again from the records (protocol deviation log)"


@dataclass(frozen=True)
class Derived:
    key: str
    source: str
    category: str
    description: str
    deviation_date: date | None


def derived_deviations(participant: Participant) -> list[Derived]:
    """The deviations the participant's records imply now (a handful of queries)."""
    return derived_from(
        participant,
        visits=Visit.objects.filter(participant=participant).order_by("visitnum"),
        infusions=Infusion.objects.filter(participant=participant).select_related("visit"),
        medications=ConcomitantMedication.objects.filter(participant=participant, deviation_due=True),
        dosing_codes=set(
            VisitDefinition.objects.filter(study=Study.current(), dosing=True).values_list("code", flat=True)
        ),
    )


def derived_from(participant, *, visits, infusions, medications, dosing_codes) -> list[Derived]:
    """The deviations of one participant from its records in memory (saved: each has its pk); the
    synthetic study generator calls this on the rows it inserts in bulk."""
    out: list[Derived] = []
    infusions = list(infusions)
    infused_visits = {infusion.visit_id for infusion in infusions}
    for visit in sorted(visits, key=lambda v: v.visitnum):
        if visit.actual_date is not None and visit.in_window is False:
            out.append(
                Derived(
                    f"visit:{visit.pk}",
                    Source.VISIT_WINDOW,
                    Category.VISIT_SCHEDULE,
                    DESCRIPTIONS[Source.VISIT_WINDOW]
                    % {
                        "visit": visit.visit_code,
                        "date": f"{visit.actual_date:%Y-%m-%d}",
                        "start": f"{visit.window_start:%Y-%m-%d}",
                        "end": f"{visit.window_end:%Y-%m-%d}",
                    },
                    visit.actual_date,
                )
            )
        missed = visit.status == VisitStatus.MISSED or bool(visit.not_done_reason)
        if visit.visit_code in dosing_codes and missed and visit.pk not in infused_visits and participant.day1_date:
            out.append(
                Derived(
                    f"missed:{visit.pk}",
                    Source.MISSED_INFUSION,
                    Category.DOSING,
                    DESCRIPTIONS[Source.MISSED_INFUSION]
                    % {"visit": visit.visit_code, "reason": visit.not_done_reason or VISIT_MISSED},
                    visit.window_end,
                )
            )
    for infusion in infusions:
        if infusion.dose_deviation:
            out.append(
                Derived(
                    f"infusion:{infusion.pk}",
                    Source.DOSE_DEVIATION,
                    Category.DOSING,
                    DESCRIPTIONS[Source.DOSE_DEVIATION]
                    % {
                        "number": infusion.infusion_number,
                        "visit": infusion.visit.visit_code,
                        "given": infusion.administered_cells,
                        "planned": infusion.planned_cells,
                    },
                    site_date(infusion.start_time),
                )
            )
    for medication in medications:
        if medication.deviation_due:
            out.append(
                Derived(
                    f"cm:{medication.pk}",
                    Source.PROHIBITED_MEDICATION,
                    Category.PROHIBITED_MEDICATION,
                    DESCRIPTIONS[Source.PROHIBITED_MEDICATION]
                    % {
                        "medication": medication.medication,
                        "reason": rules.PROHIBITED_REASONS[medication.prohibited_reason],
                    },
                    None,
                )
            )
    return out


def _notify_prohibited(deviation: ProtocolDeviation) -> None:
    study = Study.current()
    values = {"study": study.study_id, "subject": deviation.participant.display_id}
    # Stored once for all its recipients: in the study's default language.
    with translation.override(study.default_language):
        values["deviation"] = deviation.shown_description
        subject = _("[%(study)s] Protocol deviation: prohibited medication, %(subject)s") % values
        body = "\n".join(
            [
                _("A prohibited medication was recorded in study %(study)s (PROTOCOL §9).") % values,
                "",
                _("Subject: %(subject)s") % values,
                _("Deviation: %(deviation)s") % values,
                "",
                _("Review it in the protocol deviation log in Trialsite."),
            ]
        )
    notification = Notification.objects.create(kind=Notification.Kind.PROTOCOL_DEVIATION, subject=subject, body=body)
    enqueue_on_commit("safety.tasks.send_notification", notification.id)


def deviations_sync(*, participant: Participant, user) -> int:
    """Bring the participant's derived deviations in step with the records; returns how many changed."""
    wanted = {item.key: item for item in derived_deviations(participant)}
    stored = {
        d.source_key: d for d in ProtocolDeviation.objects.filter(participant=participant).exclude(source=Source.MANUAL)
    }
    changed = 0
    for key, item in wanted.items():
        deviation = stored.get(key)
        if deviation is None:
            deviation = ProtocolDeviation(participant=participant, source=item.source, source_key=key)
        before = (deviation.category, deviation.description, deviation.deviation_date, deviation.withdrawn)
        deviation.category, deviation.description = item.category, item.description
        deviation.deviation_date = item.deviation_date or deviation.deviation_date
        deviation.withdrawn = False
        if deviation.pk is None:
            audited_save(deviation, user=user)
            if item.source == Source.PROHIBITED_MEDICATION:
                _notify_prohibited(deviation)
            changed += 1
        elif before != (deviation.category, deviation.description, deviation.deviation_date, deviation.withdrawn):
            audited_save(deviation, user=user, reason=SYSTEM_REASON)
            changed += 1
    for key, deviation in stored.items():
        if key not in wanted and not deviation.withdrawn:
            deviation.withdrawn = True
            audited_save(deviation, user=user, reason="Withdrawn: its cause was corrected in the records")
            changed += 1
    return changed


def deviation_record(
    *,
    participant: Participant,
    user,
    category: str,
    description: str,
    deviation_date: date | None,
    record: ProtocolDeviation | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ProtocolDeviation:
    """Record a deviation by hand, or correct one recorded by hand (with a reason)."""
    errors = {}
    if category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    if not (description or "").strip():
        errors["description"] = [_("This field is required.")]
    if record is not None and record.source != Source.MANUAL:
        errors["__all__"] = [_("A derived deviation follows its record: correct that record instead.")]
    if record is not None and not (reason or "").strip():
        errors["reason_for_change"] = [_("A reason for change is required to change data that has already been saved.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if record is None:
            record = ProtocolDeviation(participant=participant, recorded_by=user)
        else:
            check_version(record, expected_version)
        record.category, record.description, record.deviation_date = category, description.strip(), deviation_date
        return audited_save(record, user=user, reason=reason, expected_version=expected_version)
