"""The one door for writing vital signs and infusions (PROTOCOL §4, CRF "Vital signs", "Infusion").

Every function is transactional, audited (`audited_save`) and raises
`ValidationError({field: [message]})` on bad input, saving nothing.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dosing import dose
from dosing.models import Infusion, Timepoint, VitalSigns
from dosing.rules import infusion_blockers
from labs.services import lab_first_infusion_set
from medications.services import cm_day1_refresh
from subjects import schedule
from subjects import services as subject_services
from subjects.models import Participant, Study, Visit, VisitDefinition
from subjects.sitetime import site_date
from trialsite import figures
from trialsite.audit import audited_save, check_version

# The values a user enters for an infusion (everything else on the record is derived).
INFUSION_ENTERED_FIELDS = (
    "administered_cells",
    "product_lot",
    "viability_percent",
    "thaw_time",
    "start_time",
    "end_time",
    "volume_ml",
    "whole_volume_given",
    "volume_given_ml",
    "interrupted",
    "interruption_reason",
    "deviation_reason",
)
VITAL_VALUE_FIELDS = (
    "weight_kg",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "temperature_c",
    "respiratory_rate",
    "spo2_percent",
)
INFUSION_TIMEPOINTS = (Timepoint.PRE_INFUSION, Timepoint.DURING_INFUSION, Timepoint.POST_INFUSION)
WEIGHT_TIMEPOINTS = (Timepoint.PRE_INFUSION, Timepoint.VISIT)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# --- Vital signs -----------------------------------------------------------------------------


def vitals_record(
    *,
    visit: Visit,
    user,
    timepoint: str,
    measured_at: datetime,
    infusion: Infusion | None = None,
    minutes_after_start: int | None = None,
    reason: str | None = None,
    vital_signs: VitalSigns | None = None,
    expected_version: int | None = None,
    **values,
) -> VitalSigns:
    """Record vital signs at `visit` (or correct `vital_signs`, which needs `reason`).

    `values` are the CRF measurements (weight_kg, systolic_bp, ...); at least one is required.
    Pre-infusion, post-infusion and visit time points are recorded once per visit; during the
    infusion once per `minutes_after_start`, a multiple of the study's vitals interval.
    """
    unknown = sorted(set(values) - set(VITAL_VALUE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("Unknown vital sign.")] for name in unknown})
    study = Study.current()
    errors: dict[str, list[str]] = {}
    if timepoint not in Timepoint.values:
        errors["timepoint"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Timepoint.values)}]
    if measured_at is None:
        errors["measured_at"] = [_("This field is required.")]
    elif measured_at > timezone.now():
        errors["measured_at"] = [_("The measurement time cannot be in the future.")]
    elif visit.actual_date and site_date(measured_at, study) != visit.actual_date:
        errors["measured_at"] = [_("Must be on the visit date (%(date)s).") % {"date": f"{visit.actual_date:%Y-%m-%d}"}]
    interval = study.vitals_interval_minutes
    if timepoint == Timepoint.DURING_INFUSION:
        if minutes_after_start is None:
            errors["minutes_after_start"] = [_("Required for vital signs during the infusion.")]
        elif minutes_after_start <= 0 or minutes_after_start % interval:
            errors["minutes_after_start"] = [
                _("Must be a positive multiple of %(interval)s minutes.") % {"interval": interval}
            ]
    elif minutes_after_start is not None:
        errors["minutes_after_start"] = [_("Only vital signs during the infusion have minutes after start.")]
    if all(values.get(name) is None for name in VITAL_VALUE_FIELDS):
        errors["__all__"] = [_("Enter at least one vital sign.")]
    systolic, diastolic = values.get("systolic_bp"), values.get("diastolic_bp")
    if systolic is not None and diastolic is not None and systolic <= diastolic:
        errors["systolic_bp"] = [_("Systolic blood pressure must be greater than diastolic.")]
    _raise_if(errors)

    with transaction.atomic():
        # The participant first, as every door does: writers of one participant's records queue there.
        Participant.objects.select_for_update().get(pk=visit.participant_id)
        if vital_signs is not None:
            vital_signs = VitalSigns.objects.get(pk=vital_signs.pk)
            check_version(vital_signs, expected_version)
        duplicates = VitalSigns.objects.filter(visit=visit, timepoint=timepoint)
        if timepoint == Timepoint.DURING_INFUSION:
            duplicates = duplicates.filter(minutes_after_start=minutes_after_start)
        if vital_signs is not None:
            duplicates = duplicates.exclude(pk=vital_signs.pk)
        if duplicates.exists():
            values = {"timepoint": Timepoint(timepoint).label.lower(), "minutes": minutes_after_start}
            if timepoint == Timepoint.DURING_INFUSION:
                message = _("Vital signs %(timepoint)s at %(minutes)s minutes are already recorded for this visit.")
            else:
                message = _("Vital signs %(timepoint)s are already recorded for this visit.")
            raise ValidationError({"timepoint": [message % values]})
        if infusion is None and timepoint in INFUSION_TIMEPOINTS:
            infusion = Infusion.objects.filter(visit=visit).first()
        record = vital_signs or VitalSigns(participant_id=visit.participant_id, visit=visit)
        record.timepoint = timepoint
        record.measured_at = measured_at
        record.minutes_after_start = minutes_after_start
        record.infusion = infusion if timepoint in INFUSION_TIMEPOINTS else None
        for name in VITAL_VALUE_FIELDS:
            setattr(record, name, values.get(name))
        return audited_save(record, user=user, reason=reason)


def pre_infusion_weight(
    visit: Visit, on: date, before: datetime | None = None, study: Study | None = None
) -> VitalSigns | None:
    """The weight measured at `visit` on date `on` (before `before`), pre-infusion preferred, latest first."""
    candidates = VitalSigns.objects.filter(visit=visit, timepoint__in=WEIGHT_TIMEPOINTS, weight_kg__isnull=False)
    if before is not None:
        candidates = candidates.filter(measured_at__lte=before)
    study = study or Study.current()
    found = [v for v in candidates.order_by("-measured_at") if site_date(v.measured_at, study) == on]
    found.sort(key=lambda v: v.timepoint != Timepoint.PRE_INFUSION)  # stable: keeps latest-first within a group
    return found[0] if found else None


# --- Infusions -------------------------------------------------------------------------------


def _whole_cells(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def infusion_record(
    *,
    visit: Visit,
    user,
    administered_cells: int,
    product_lot: str,
    viability_percent: Decimal,
    thaw_time: datetime,
    start_time: datetime,
    end_time: datetime,
    volume_ml: Decimal,
    whole_volume_given: bool,
    volume_given_ml: Decimal | None = None,
    interrupted: bool = False,
    interruption_reason: str = "",
    deviation_reason: str = "",
    reason: str | None = None,
    expected_version: int | None = None,
) -> Infusion:
    """Record the infusion of `visit` (a dosing visit), or correct it when `reason` is given.

    The planned dose is derived from the pre-infusion weight of that visit and the study's dose
    per kg; an administered dose outside the tolerance, or an infusion outside the visit window,
    needs `deviation_reason`. Recording the first-week infusion sets Day 1 and re-anchors the
    schedule; any other visit gets its actual date from the infusion when it has none.
    """
    deviation_reason = (deviation_reason or "").strip()
    interruption_reason = (interruption_reason or "").strip()
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=visit.participant_id)
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        study = Study.current()
        existing = Infusion.objects.filter(visit=visit).first()
        if existing is not None:
            check_version(existing, expected_version)
        if existing is not None and not (reason or "").strip():
            raise ValidationError(
                {
                    "visit": [
                        _(
                            "An infusion is already recorded for visit %(visit)s: a second infusion for a "
                            "visit is refused (to correct the recorded one, give a reason for change)."
                        )
                        % {"visit": visit.visit_code}
                    ]
                }
            )
        definition = VisitDefinition.objects.filter(study=study, code=visit.visit_code).first()
        if definition is None or not definition.dosing:
            raise ValidationError(
                {"visit": [_("Visit %(visit)s is not a dosing visit.") % {"visit": visit.visit_code}]}
            )
        if existing is None:
            blockers = infusion_blockers(participant, visit)
            if blockers:
                raise ValidationError({"participant": blockers})
            given = Infusion.objects.filter(participant=participant).count()
            if given >= study.max_infusions:
                raise ValidationError(
                    {
                        "visit": [
                            _("The participant has had %(given)s infusions: at most %(max)s are given.")
                            % {"given": given, "max": study.max_infusions}
                        ]
                    }
                )

        errors: dict[str, list[str]] = {}
        cells = _whole_cells(administered_cells)
        if cells is None:
            errors["administered_cells"] = [_("Enter a whole number of cells.")]
        elif cells <= 0:
            errors["administered_cells"] = [_("Administered cells must be greater than 0.")]
        if not (product_lot or "").strip():
            errors["product_lot"] = [_("This field is required.")]
        now = timezone.now()
        for name, moment in (("thaw_time", thaw_time), ("start_time", start_time), ("end_time", end_time)):
            if moment is None:
                errors[name] = [_("This field is required.")]
            elif moment > now:
                errors[name] = [_("Cannot be in the future.")]
        infusion_date = None
        if start_time and end_time and thaw_time and not errors.keys() & {"thaw_time", "start_time", "end_time"}:
            if thaw_time >= start_time:
                errors["thaw_time"] = [_("The thaw time must be before the start of the infusion.")]
            if end_time <= start_time:
                errors["end_time"] = [_("The end of the infusion must be after its start.")]
            infusion_date = site_date(start_time, study)
            visit_date = visit.actual_date or infusion_date
            if infusion_date != visit_date:
                errors["start_time"] = [
                    _("The infusion must start on the visit date (%(date)s).") % {"date": f"{visit_date:%Y-%m-%d}"}
                ]
            elif site_date(end_time, study) != visit_date:
                errors["end_time"] = [
                    _("The infusion must end on the visit date (%(date)s).") % {"date": f"{visit_date:%Y-%m-%d}"}
                ]
        if whole_volume_given:
            volume_given_ml = None
        elif volume_given_ml is None:
            errors["volume_given_ml"] = [_("Required when the whole volume was not given.")]
        elif volume_ml is not None and volume_given_ml > volume_ml:
            errors["volume_given_ml"] = [_("Cannot exceed the volume of the product.")]
        if interrupted and not interruption_reason:
            errors["interruption_reason"] = [_("Give the reason for the interruption.")]
        if not interrupted:
            interruption_reason = ""
        # The dose is checked even when the times are wrong, so every error of the entry shows at once.
        dose_date = infusion_date or (site_date(start_time, study) if start_time else None)
        weight = pre_infusion_weight(visit, dose_date, before=start_time, study=study) if dose_date else None
        if weight is None:
            if dose_date is not None and not errors:
                errors["weight_kg_used"] = [
                    _(
                        "No pre-infusion weight is recorded for visit %(visit)s on %(date)s: "
                        "record the weight in the vital signs before the infusion."
                    )
                    % {"visit": visit.visit_code, "date": f"{dose_date:%Y-%m-%d}"}
                ]
            _raise_if(errors)
        planned = dose.planned_cells(weight.weight_kg, study.dose_per_kg_cells)
        deviation = "administered_cells" not in errors and dose.is_dose_deviation(
            planned, cells, study.dose_tolerance_percent
        )
        if deviation and not deviation_reason:
            low, high = dose.dose_bounds(planned, study.dose_tolerance_percent)
            errors["deviation_reason"] = [
                _(
                    "%(cells)s cells is outside ±%(tolerance)s %% of the planned %(planned)s cells "
                    "(%(low)s–%(high)s): a deviation reason is required."
                )
                % {
                    "cells": f"{cells:,}",
                    "tolerance": study.dose_tolerance_percent,
                    "planned": f"{planned:,}",
                    "low": f"{low:,}",
                    "high": f"{high:,}",
                }
            ]
        out_of_window = infusion_date is not None and not schedule.is_in_window(
            infusion_date, visit.window_start, visit.window_end
        )
        if out_of_window and not deviation_reason:
            errors.setdefault("deviation_reason", []).append(
                _(
                    "The infusion date %(date)s is outside the visit window (%(start)s to %(end)s): "
                    "a deviation reason is required."
                )
                % {
                    "date": f"{infusion_date:%Y-%m-%d}",
                    "start": f"{visit.window_start:%Y-%m-%d}",
                    "end": f"{visit.window_end:%Y-%m-%d}",
                }
            )
        _raise_if(errors)

        start_before = existing.start_time if existing is not None else None
        infusion = existing or Infusion(
            participant=participant,
            visit=visit,
            infusion_number=Infusion.objects.filter(participant=participant).count() + 1,
            administered_by=user,
        )
        infusion.weight_kg_used = weight.weight_kg
        infusion.dose_per_kg = study.dose_per_kg_cells
        infusion.planned_cells = planned
        infusion.administered_cells = cells
        infusion.dose_deviation = deviation
        infusion.deviation_reason = deviation_reason
        infusion.product_lot = product_lot.strip()
        infusion.viability_percent = viability_percent
        infusion.thaw_time = thaw_time
        infusion.start_time = start_time
        infusion.end_time = end_time
        infusion.volume_ml = volume_ml
        infusion.whole_volume_given = whole_volume_given
        infusion.volume_given_ml = volume_given_ml
        infusion.interrupted = interrupted
        infusion.interruption_reason = interruption_reason
        audited_save(infusion, user=user, reason=reason)

        if existing is None:
            for vitals in VitalSigns.objects.filter(visit=visit, timepoint__in=INFUSION_TIMEPOINTS, infusion=None):
                vitals.infusion = infusion
                audited_save(vitals, user=user, reason=f"Linked to infusion {infusion.infusion_number}")
        day1_reason = f"Day 1 set by infusion {infusion.infusion_number} on {infusion_date:%Y-%m-%d}"
        if definition.week == 0 and visit.actual_date is None:
            # Records the W0 visit (with its window deviation, if any) and re-anchors the schedule.
            subject_services.visit_record(
                visit=visit,
                user=user,
                actual_date=infusion_date,
                deviation_reason=deviation_reason if out_of_window else "",
                reason=day1_reason,
            )
        elif definition.week == 0 and participant.day1_date != infusion_date:
            subject_services.visits_reanchor(participant=participant, day1=infusion_date, user=user, reason=day1_reason)
        elif visit.actual_date is None:
            subject_services.visit_record(
                visit=visit,
                user=user,
                actual_date=infusion_date,
                deviation_reason=deviation_reason if out_of_window else "",
                reason=f"Visit date from infusion {infusion.infusion_number}",
            )
        if definition.week == 0:
            participant.refresh_from_db()  # the baseline PASI follows Day 1 by the after-write hook
            if infusion.start_time != start_before:  # a save that changed nothing writes nothing
                lab_first_infusion_set(participant=participant, start_time=infusion.start_time, user=user)
            cm_day1_refresh(participant=participant, user=user)
        figures.study_data_changed()
        return infusion
