"""The study's soft edit checks: each a condition written as code over one record type.

A soft check never refuses a save (hard checks stay where they are today: form and model
validation refuse the entry). When its condition holds after a write, a "system" query is raised
on the record; when a later write makes it false, the query closes itself (audited, user None,
shown as "system"). Checks are switched off by name in settings.DISABLED_EDIT_CHECKS (environment
variable of the same name): turning a validated check off is a change of the study's configuration
that goes through deployment and its change control, not a click.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from assessments.models import PasiAssessment
from datamanagement.models import ACTIVE_QUERY_STATES, Query
from dosing.models import Infusion, VitalSigns
from safety.rules import RELATED
from subjects.sitetime import site_date
from trialsite.records import record_type_of


@dataclass(frozen=True)
class EditCheck:
    name: str
    record_type: str
    field: str
    message: str
    condition: Callable[[object], bool]
    # The records whose condition reads this record (the next visit's, for a comparison with the
    # previous visit): re-checked after this record is written. None: the check reads only its record.
    dependents: Callable[[object], Iterable] | None = None


def previous_weight(vitals: VitalSigns) -> Decimal | None:
    """The last weight recorded at an earlier visit, else the screening weight."""
    earlier = (
        VitalSigns.objects.filter(
            participant_id=vitals.participant_id,
            visit__visitnum__lt=vitals.visit.visitnum,
            weight_kg__isnull=False,
        )
        .order_by("-visit__visitnum", "-measured_at")
        .values_list("weight_kg", flat=True)
        .first()
    )
    if earlier is not None:
        return earlier
    screening = getattr(vitals.participant, "screening", None)
    return screening.weight_kg if screening is not None else None


def weight_changed_over_10_percent(vitals: VitalSigns) -> bool:
    if vitals.weight_kg is None:
        return False
    before = previous_weight(vitals)
    return bool(before) and abs(vitals.weight_kg - before) / before > Decimal("0.10")


def pasi_improved_over_90_percent(pasi: PasiAssessment) -> bool:
    """Compared with the PASI of the previous visit that has one."""
    before = (
        PasiAssessment.objects.filter(participant_id=pasi.participant_id, visit__visitnum__lt=pasi.visit.visitnum)
        .order_by("-visit__visitnum")
        .values_list("pasi_total", flat=True)
        .first()
    )
    if not before or pasi.pasi_total is None:
        return False
    return (before - pasi.pasi_total) / before > Decimal("0.90")


def next_visit_records(model, **conditions) -> Callable[[object], list]:
    """The records of `model` at the first later visit of the participant that has one."""

    def later(record) -> list:
        if record.visit_id is None:
            return []
        records = model.objects.filter(
            participant_id=record.participant_id, visit__visitnum__gt=record.visit.visitnum, **conditions
        )
        first = records.order_by("visit__visitnum").values_list("visit__visitnum", flat=True).first()
        return [] if first is None else list(records.filter(visit__visitnum=first).select_related("visit"))

    return later


def systolic_extreme(vitals: VitalSigns) -> bool:
    return vitals.systolic_bp is not None and (vitals.systolic_bp >= 180 or vitals.systolic_bp <= 80)


def fever_on_dosing_day(vitals: VitalSigns) -> bool:
    if vitals.temperature_c is None or vitals.temperature_c < Decimal("38.5"):
        return False
    infusion = Infusion.objects.filter(visit_id=vitals.visit_id).values_list("start_time", flat=True).first()
    return infusion is not None and site_date(infusion) == site_date(vitals.measured_at)


def related_ae_long_after_last_infusion(ae) -> bool:
    if ae.relationship not in RELATED:
        return False
    infusions = Infusion.objects.filter(participant_id=ae.participant_id).values_list("start_time", flat=True)
    before = [site_date(start) for start in infusions if site_date(start) <= ae.onset_date]
    return bool(before) and (ae.onset_date - max(before)).days > 30


CHECKS: tuple[EditCheck, ...] = (
    EditCheck(
        "weight_change_10pct",
        "vital_signs",
        "weight_kg",
        # xgettext:no-python-format
        gettext_noop("Weight changed by more than 10 % since the previous visit: please confirm."),
        weight_changed_over_10_percent,
        next_visit_records(VitalSigns, weight_kg__isnull=False),
    ),
    EditCheck(
        "pasi_improved_90pct",
        "pasi_assessment",
        "",
        # xgettext:no-python-format
        gettext_noop("PASI improved by more than 90 % since the previous visit: please check the entry."),
        pasi_improved_over_90_percent,
        next_visit_records(PasiAssessment),
    ),
    EditCheck(
        "systolic_bp_extreme",
        "vital_signs",
        "systolic_bp",
        gettext_noop("Systolic blood pressure ≥ 180 or ≤ 80 mmHg: please confirm."),
        systolic_extreme,
    ),
    EditCheck(
        "fever_on_dosing_day",
        "vital_signs",
        "temperature_c",
        gettext_noop("Temperature ≥ 38.5 °C on a dosing day: please confirm (and record an AE if applicable)."),
        fever_on_dosing_day,
    ),
    EditCheck(
        "related_ae_late_onset",
        "adverse_event",
        "onset_date",
        gettext_noop(
            "Related AE with onset more than 30 days after the last infusion: please check onset and relationship."
        ),
        related_ae_long_after_last_infusion,
    ),
)


# A system query's text is stored in English (the audit trail, exports); pages show it translated.
AUTO_CLOSED = gettext_noop("Closed automatically: the condition is no longer met.")
SYSTEM_TEXTS = frozenset({check.message for check in CHECKS} | {AUTO_CLOSED})


def shown_text(text: str) -> str:
    """A query text or thread message as shown: the system's own in the reader's language, a
    person's as written."""
    return gettext(text) if text in SYSTEM_TEXTS else text


def enabled_checks(record_type: str) -> list[EditCheck]:
    disabled = set(getattr(settings, "DISABLED_EDIT_CHECKS", ()))
    return [check for check in CHECKS if check.record_type == record_type and check.name not in disabled]


def run_edit_checks(obj, *, created: bool, changed: list[str]) -> None:
    """settings.AUDITED_AFTER_WRITE: raise or close the system queries of the record's soft checks,
    then of the checks of later records that compare with it (the next visit's weight or PASI)."""
    rt = record_type_of(obj)
    if rt is None:
        return
    checks = enabled_checks(rt.name)
    evaluate(obj, rt.name, checks)
    for check in checks:
        for later in check.dependents(obj) if check.dependents else ():
            evaluate(later, rt.name, [check])


def evaluate(obj, record_type: str, checks: list[EditCheck]) -> None:
    from datamanagement.services import query_close, query_raise

    if not checks:
        return
    raised = {
        query.edit_check: query
        for query in Query.objects.filter(
            record_type=record_type,
            record_id=obj.pk,
            edit_check__in=[c.name for c in checks],
            state__in=ACTIVE_QUERY_STATES,
        )
    }
    for check in checks:
        fires = check.condition(obj)
        if fires and check.name not in raised:
            query_raise(
                user=None,
                record_type=record_type,
                record_id=obj.pk,
                field=check.field,
                text=check.message,
                edit_check=check.name,
            )
        elif not fires and check.name in raised:
            query_close(query=raised[check.name], user=None, text=AUTO_CLOSED)
