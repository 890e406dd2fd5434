"""The one door for writing PASI assessments and keeping the baseline PASI up to date (PROTOCOL §5)."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import pasi
from assessments.models import PasiAssessment
from subjects import services as subject_services
from subjects.models import Participant, Visit
from subjects.sitetime import site_today
from trialsite import figures
from trialsite.audit import audited_save, check_version

REGION_LABELS = {
    "head": gettext_lazy("Head and neck"),
    "upper_limbs": gettext_lazy("Upper limbs"),
    "trunk": gettext_lazy("Trunk"),
    "lower_limbs": gettext_lazy("Lower limbs"),
}
ITEM_LABELS = {
    "erythema": gettext_lazy("erythema"),
    "induration": gettext_lazy("induration"),
    "desquamation": gettext_lazy("desquamation"),
}
SCREENING_VISIT = "SCR"
BASELINE_VISITS = pasi.BASELINE_VISITS


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def region_scores(regions: Mapping[str, Mapping | None]) -> tuple[dict[str, pasi.RegionScores], dict, dict]:
    """Validate entered region items; return (scores by region, area percent by region, errors by field).

    A region's area is its percentage (the score is derived by `pasi.area_score`) or, when only
    the score is known, the score. A missing region is an error: PASI is never imputed.
    """
    scores: dict[str, pasi.RegionScores] = {}
    percents: dict[str, Decimal | None] = {}
    errors: dict[str, list[str]] = {}
    for region in pasi.REGIONS:
        items = regions.get(region)
        label = {"region": REGION_LABELS[region]}
        if not items:
            errors[region] = [_("%(region)s is missing: every region is required (PASI is never imputed).") % label]
            continue
        values: dict[str, int] = {}
        for item in pasi.ITEMS:
            value = items.get(item)
            field = f"{region}_{item}"
            if value is None or value == "":
                errors[field] = [_("This field is required.")]
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= pasi.ITEM_MAX:
                errors[field] = [
                    _("%(region)s %(item)s: enter a whole score from 0 to %(max)s.")
                    % {**label, "item": ITEM_LABELS[item], "max": pasi.ITEM_MAX}
                ]
            else:
                values[item] = value
        area_score = None
        try:
            percent = _as_decimal(items.get("area_percent"))
        except (InvalidOperation, TypeError, ValueError):
            percent = None
            errors[f"{region}_area_percent"] = [_("%(region)s area: enter a percentage from 0 to 100.") % label]
        entered_score = items.get("area_score")
        if percent is not None:
            if not percent.is_finite() or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.1")):
                errors[f"{region}_area_percent"] = [
                    _("%(region)s area: enter a percentage from 0 to 100 (one decimal).") % label
                ]
            else:
                area_score = pasi.area_score(percent)
                if entered_score not in (None, "") and entered_score != area_score:
                    errors[f"{region}_area_score"] = [
                        _(
                            "%(region)s: %(percent)s %% gives area score %(score)s, not %(entered)s; "
                            "enter the percentage or the score, not both."
                        )
                        % {**label, "percent": percent, "score": area_score, "entered": entered_score}
                    ]
        elif entered_score not in (None, ""):
            if isinstance(entered_score, bool) or not isinstance(entered_score, int):
                errors[f"{region}_area_score"] = [_("%(region)s area score: enter a whole score from 0 to 6.") % label]
            elif not 0 <= entered_score <= pasi.AREA_SCORE_MAX:
                errors[f"{region}_area_score"] = [_("%(region)s area score: enter a whole score from 0 to 6.") % label]
            else:
                area_score = entered_score
        elif f"{region}_area_percent" not in errors:
            errors[f"{region}_area_percent"] = [
                _("%(region)s: enter the area as a percentage, or the area score when only the score is known.") % label
            ]
        percents[region] = percent
        if area_score is not None and len(values) == len(pasi.ITEMS):
            scores[region] = pasi.RegionScores(area_score=area_score, **values)
    return scores, percents, errors


def pasi_save(
    *,
    visit: Visit,
    user,
    assessment_date: date,
    bsa_percent: Decimal | None = None,
    regions: Mapping[str, Mapping | None],
    reason: str | None = None,
    expected_version: int | None = None,
) -> PasiAssessment:
    """Record the PASI of `visit` (one per visit), or correct it when `reason` is given.

    `regions` maps each of head, upper_limbs, trunk, lower_limbs to its erythema, induration,
    desquamation (0-4) and area_percent (or area_score). pasi_total is derived, never taken from
    input. At screening the eligibility is re-evaluated; the baseline PASI is kept up to date.
    """
    errors: dict[str, list[str]] = {}
    if assessment_date is None:
        errors["assessment_date"] = [_("This field is required.")]
    elif assessment_date > site_today():
        errors["assessment_date"] = [_("The assessment date cannot be in the future.")]
    try:
        bsa = _as_decimal(bsa_percent)
    except (InvalidOperation, TypeError, ValueError):
        bsa = None
        errors["bsa_percent"] = [_("Enter a percentage from 0 to 100.")]
    if bsa is not None and not (bsa.is_finite() and 0 <= bsa <= 100):
        errors["bsa_percent"] = [_("Enter a percentage from 0 to 100.")]
    scores, percents, region_errors = region_scores(regions)
    errors.update(region_errors)
    if errors:
        raise ValidationError(errors)
    total = pasi.pasi_total(scores)

    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=visit.participant_id)
        assessment = PasiAssessment.objects.filter(visit=visit).first()
        if assessment is not None:
            check_version(assessment, expected_version)
        if assessment is not None and not (reason or "").strip():
            raise ValidationError(
                {
                    "visit": [
                        _(
                            "A PASI assessment is already recorded for visit %(visit)s: one per visit "
                            "(to correct it, give a reason for change)."
                        )
                        % {"visit": visit.visit_code}
                    ]
                }
            )
        if assessment is None:
            assessment = PasiAssessment(participant=participant, visit=visit, assessor=user)
        assessment.assessment_date = assessment_date
        assessment.bsa_percent = bsa
        for region, region_score in scores.items():
            setattr(assessment, f"{region}_erythema", region_score.erythema)
            setattr(assessment, f"{region}_induration", region_score.induration)
            setattr(assessment, f"{region}_desquamation", region_score.desquamation)
            setattr(assessment, f"{region}_area_score", region_score.area_score)
            setattr(assessment, f"{region}_area_percent", percents[region])
        assessment.pasi_total = total
        # The baseline is decided with this PASI in it before it is saved, so that its improvement is
        # saved once, against the baseline it makes (the others are re-derived by baseline_refresh).
        baseline_refresh(participant, user, pending=assessment)
        assessment.participant = participant
        audited_save(assessment, user=user, reason=reason)
        if visit.visit_code == SCREENING_VISIT:
            subject_services.screening_set_pasi(participant=participant, pasi_total=total, user=user, reason=reason)
            participant.refresh_from_db()
        figures.study_data_changed()
        return assessment


def baseline_assessment(participant: Participant, pending: PasiAssessment | None = None) -> PasiAssessment | None:
    """The last PASI on or before Day 1, before the first infusion: normally W0, otherwise screening.

    `pending`: an assessment about to be saved (new or changed), counted as it is in memory. The
    candidates are at most one per baseline visit, so the rule is applied to them here, once.
    """
    saved = PasiAssessment.objects.filter(participant=participant, visit_code__in=BASELINE_VISITS)
    saved = saved.select_related("visit")
    if pending is not None and pending.pk is not None:
        saved = saved.exclude(pk=pending.pk)  # counted as it is in memory, below
    candidates = list(saved)
    if pending is not None:
        candidates.append(pending)
    return choose_baseline(candidates, participant.day1_date)


def choose_baseline(assessments, day1) -> PasiAssessment | None:
    """The baseline among a participant's assessments (with their visits): the last one at a baseline
    visit on or before Day 1 (PROTOCOL §5)."""
    eligible = [
        a for a in assessments if a.visit.visit_code in BASELINE_VISITS and (day1 is None or a.assessment_date <= day1)
    ]
    return max(eligible, key=lambda a: (a.assessment_date, a.visit.visitnum), default=None)


def baseline_refresh(participant: Participant, user, pending: PasiAssessment | None = None) -> Decimal | None:
    """Store the baseline PASI on the participant when it changed (the one place it is decided),
    and then each assessment's improvement against it (but `pending`'s, see baseline_assessment:
    its own save derives it)."""
    chosen = baseline_assessment(participant, pending)
    baseline = chosen.pasi_total if chosen else None
    if participant.baseline_pasi != baseline:
        participant.baseline_pasi = baseline
        source = f"PASI at {chosen.visit.visit_code}" if chosen else "no PASI on or before Day 1"
        audited_save(participant, user=user, reason=f"Baseline PASI derived ({source})")
        improvements_refresh(participant, user, skip=pending)
    return baseline


def baseline_after_day1_moved(obj, *, created: bool, changed: list[str]) -> None:
    """settings.AUDITED_AFTER_WRITE: the baseline is the last PASI on or before Day 1, so every write
    that moves Day 1 (the W0 visit from its page or the API, the first infusion) re-derives the
    baseline and the improvements, in the transaction that moves it."""
    if isinstance(obj, Participant) and not created and "day1_date" in changed:
        baseline_refresh(obj, getattr(obj, "_history_user", None))


def improvements_refresh(participant: Participant, user, skip: PasiAssessment | None = None) -> int:
    """Re-derive improvement_percent of the participant's assessments (but `skip`) against their
    baseline PASI; each one that changes is saved with its own history record. Returns how many."""
    changed = 0
    assessments = PasiAssessment.objects.filter(participant=participant).select_related("visit").order_by("pk")
    if skip is not None and skip.pk is not None:
        assessments = assessments.exclude(pk=skip.pk)
    for assessment in assessments:
        before = assessment.improvement_percent
        assessment.participant = participant
        assessment.derive()
        if assessment.improvement_percent != before:
            was = "none" if before is None else f"{before} %"
            reason = f"Improvement derived against baseline PASI {participant.baseline_pasi} (was {was})"
            audited_save(assessment, user=user, reason=reason)
            changed += 1
    return changed
