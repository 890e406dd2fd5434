"""The one door for writing laboratory panels, results and normal ranges (PROTOCOL §8).

Everything a result shows beyond what was reported (standard value, range, flag, CTCAE grade,
baseline, AE prompt) is derived here from the pure rules (catalogue, ranges, ctcae) over all of
the participant's results at once, because one result can change another's grade (the baseline).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from labs import catalogue, ctcae, ranges
from labs.models import UNSCHEDULED, FirstInfusion, LabPanel, LabResult, NormalRange
from subjects.eligibility import age_in_completed_years
from subjects.models import Participant, Study
from subjects.sitetime import site_date
from trialsite import figures
from trialsite.audit import audited_save, check_version
from trialsite.roles import Cap, has_cap

SCHEDULED_VISITS = ("SCR", "W0", "W4", "W8", "W12")
ENTERED_FIELDS = ("value", "unit", "not_done_reason", "clinically_significant")
DERIVED_FIELDS = ("value_standard", "lln", "uln", "flag", "ctcae_grade", "is_baseline", "prompts_ae")
VALUE_MAX = Decimal("100000000")
VALUE_PLACES = 4


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (bool, float)):
        raise InvalidOperation
    return value if isinstance(value, Decimal) else Decimal(str(value))


# Normal ranges ----------------------------------------------------------------------------------


def normal_range_rules() -> list[ranges.NormalRange]:
    return [row.as_rule() for row in NormalRange.objects.all()]


def _range_errors(row: NormalRange) -> None:
    """The refusals of labs.ranges a person can meet on the form, in the reader's language (the rule
    module has no Django); it stays the last word on anything else."""
    if row.age_to is not None and row.age_to < row.age_from:
        message = _("age_to must be an integer not below age_from (%(age_from)s), got %(age_to)s")
        raise ValidationError({"__all__": [message % {"age_from": row.age_from, "age_to": row.age_to}]})
    if row.lln is not None and row.lln < 0:
        raise ValidationError({"__all__": [_("lln must not be negative, got %(lln)s") % {"lln": row.lln}]})
    if row.lln is not None and row.uln is not None and row.uln <= row.lln:
        message = _("uln (%(uln)s) must be above lln (%(lln)s)")
        raise ValidationError({"__all__": [message % {"uln": row.uln, "lln": row.lln}]})


def normal_range_add(
    *, user, test_code: str, sex: str, age_from: int, age_to: int | None, effective_from, lln, uln, reason: str = ""
) -> NormalRange:
    """Add a normal range (study configuration); refused when it would make a result's range ambiguous.

    Every result is re-derived with it (a range effective from a past date applies to past results).
    """
    row = NormalRange(
        test_code=test_code, sex=sex or "", age_from=age_from, age_to=age_to, effective_from=effective_from
    )
    try:
        row.lln, row.uln = _as_decimal(lln), _as_decimal(uln)
        _range_errors(row)
        rule = row.as_rule()
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationError({"__all__": [str(error)]}) from error
    with transaction.atomic():
        existing = list(NormalRange.objects.select_for_update().filter(test_code=test_code))
        clashes = ranges.overlapping_ranges([*(r.as_rule() for r in existing), rule])
        if clashes:
            raise ValidationError(
                {"__all__": [_("Another range of this test from the same date applies to the same sex and ages.")]}
            )
        audited_save(row, user=user, reason=reason or None)
        for participant in Participant.objects.filter(lab_results__test_code=test_code).distinct():
            lab_results_derive(participant=participant, user=user)
    return row


# Day 1 --------------------------------------------------------------------------------------------


def first_infusion_start(participant: Participant) -> datetime | None:
    row = FirstInfusion.objects.filter(participant=participant).first()
    return row.start_time if row else None


def lab_first_infusion_set(*, participant: Participant, start_time: datetime | None, user) -> None:
    """Record when the first infusion started (dosing calls this) and re-derive the baselines."""
    row = FirstInfusion.objects.filter(participant=participant).first()
    if row is not None and row.start_time == start_time:
        return
    if row is None:
        row = FirstInfusion(participant=participant)
    row.start_time = start_time
    audited_save(row, user=user, reason=None if row.pk is None else "First infusion start changed")
    lab_results_derive(participant=participant, user=user)


# Derivation ---------------------------------------------------------------------------------------


def derive(
    results: Iterable[LabResult],
    *,
    participant: Participant,
    first_start: datetime | None,
    range_rules: list[ranges.NormalRange],
    study: Study,
) -> None:
    """Set the derived fields of all of one participant's `results` (each with its panel) in memory."""
    results = list(results)
    order = {id(r): (r.panel.collected_at, r.pk or float("inf"), n) for n, r in enumerate(results)}
    baselines: dict[str, LabResult] = {}
    by_test: dict[str, list[LabResult]] = defaultdict(list)
    for result in results:
        result.value_standard = (
            catalogue.to_standard(result.test_code, result.value, result.unit or result.test.standard_unit)
            if result.value is not None
            else None
        )
        if result.value_standard is not None:
            by_test[result.test_code].append(result)
        on = site_date(result.panel.collected_at, study)
        in_force = None
        if result.value_standard is not None:
            in_force = ranges.range_in_force(
                range_rules,
                test_code=result.test_code,
                sex=participant.sex,
                age=age_in_completed_years(participant.date_of_birth, on),
                on=on,
            )
        result.lln = in_force.lln if in_force else None
        result.uln = in_force.uln if in_force else None
        result.flag = ranges.normal_flag(result.value_standard, lln=in_force.lln, uln=in_force.uln) if in_force else ""
    for test_code, items in by_test.items():
        items.sort(key=lambda r: order[id(r)])
        chosen = ctcae.baseline_result([(r.panel.collected_at, r) for r in items], first_infusion_start=first_start)
        if chosen is not None:
            baselines[test_code] = chosen[1]
    for result in results:
        result.is_baseline = baselines.get(result.test_code) is result
    graded_first = sorted(results, key=lambda r: not r.is_baseline)
    for result in graded_first:
        baseline = baselines.get(result.test_code)
        after = baseline is not None and not result.is_baseline and order[id(result)] > order[id(baseline)]
        if result.lln is None:
            result.ctcae_grade = None
        else:
            use_baseline = after and baseline.uln is not None
            result.ctcae_grade = ctcae.ctcae_grade(
                result.test_code,
                result.value_standard,
                lln=result.lln,
                uln=result.uln,
                baseline=baseline.value_standard if use_baseline else None,
                baseline_uln=baseline.uln if use_baseline else None,
            )
        result.prompts_ae = ctcae.prompts_adverse_event(result.ctcae_grade, baseline.ctcae_grade if after else None)


def lab_results_derive(*, participant: Participant, user, pending: Iterable[LabResult] = ()) -> int:
    """Re-derive all results of the participant; `pending` (about to be saved by the caller) are
    counted as they are in memory and not saved here. Each other result that changes is saved with
    its own history record. Returns how many were saved."""
    pending = list(pending)
    pending_pks = {r.pk for r in pending if r.pk is not None}
    saved = [
        r
        for r in LabResult.objects.filter(participant=participant).select_related("panel").order_by("pk")
        if r.pk not in pending_pks
    ]
    derive(
        [*saved, *pending],
        participant=participant,
        first_start=first_infusion_start(participant),
        range_rules=normal_range_rules(),
        study=Study.current(),
    )
    changed = 0
    for result in saved:
        stored = LabResult.objects.filter(pk=result.pk).values(*DERIVED_FIELDS).get()
        if any(stored[name] != getattr(result, name) for name in DERIVED_FIELDS):
            audited_save(result, user=user, reason="Derived again (normal ranges, baseline or Day 1 changed)")
            changed += 1
    if changed:
        figures.study_data_changed()
    return changed


# Entry --------------------------------------------------------------------------------------------


def _clean_entry(test_code: str, entry: Mapping, errors: dict, prefix: str = "") -> dict:
    """The entered values of one result, validated; errors by field name (with `prefix`)."""
    try:
        test = catalogue.lab_test(test_code)
    except ValueError:
        message = _("unknown laboratory test '%(code)s'; expected one of %(codes)s")
        errors[f"{prefix}test_code"] = [message % {"code": test_code, "codes": ", ".join(catalogue.TEST_CODES)}]
        return {}
    not_done = (entry.get("not_done_reason") or "").strip()
    unit = entry.get("unit") or test.standard_unit
    try:
        value = _as_decimal(entry.get("value"))
    except (InvalidOperation, TypeError, ValueError):
        value = None
        errors[f"{prefix}value"] = [_("Enter a number.")]
    if value is not None:
        if not value.is_finite() or value < 0 or value >= VALUE_MAX:
            errors[f"{prefix}value"] = [_("Enter a number from 0 (not negative).")]
        elif value != value.quantize(Decimal(1).scaleb(-VALUE_PLACES)):
            errors[f"{prefix}value"] = [_("At most 4 decimal places.")]
    if unit not in test.units:
        errors[f"{prefix}unit"] = [
            _("%(test)s is reported in %(units)s.") % {"test": _(test.label), "units": ", ".join(test.units)}
        ]
    if value is None and not not_done and f"{prefix}value" not in errors:
        errors[f"{prefix}value"] = [_("Enter the value, or why the test was not done.")]
    if value is not None and not_done:
        errors[f"{prefix}not_done_reason"] = [_("A test with a value was done: leave the reason empty.")]
    return {
        "value": value,
        "unit": unit if value is not None else "",
        "not_done_reason": not_done,
        "clinically_significant": entry.get("clinically_significant"),
    }


def _check_collected_at(participant, visit_code: str, collected_at, errors: dict) -> None:
    from django.utils import timezone

    if collected_at is None:
        errors["collected_at"] = [_("This field is required.")]
        return
    if collected_at > timezone.now():
        errors["collected_at"] = [_("The collection time cannot be in the future.")]
    start = first_infusion_start(participant)
    if visit_code == "W0" and start is not None and collected_at >= start:
        errors["collected_at"] = [_("The W0 panel is drawn before the infusion starts.")]


def _check_significance(results: Iterable[LabResult], *, user, before=None, prefix_of=lambda r: "") -> None:
    """Clinical significance is the investigator's judgement (PROTOCOL §8), of an out-of-range value only.
    `before`: the stored answer of a corrected result (a correction by someone else may keep it)."""
    errors = {}
    for result in results:
        cleared = result.clinically_significant is None and not result.out_of_range
        if result.clinically_significant != before and not cleared and not has_cap(user, Cap.SIGN_OFF):
            errors[f"{prefix_of(result)}clinically_significant"] = [
                _("Only an investigator judges clinical significance.")
            ]
        elif result.clinically_significant is not None and not result.out_of_range:
            errors[f"{prefix_of(result)}clinically_significant"] = [
                _("Clinical significance is judged only for a value outside the normal range.")
            ]
    if errors:
        raise ValidationError(errors)


def lab_panel_record(
    *, participant: Participant, user, visit_code: str, collected_at: datetime, results: Mapping[str, Mapping]
) -> LabPanel:
    """Record a new panel with its results: `results` maps test codes to value/unit/not_done_reason/
    clinically_significant (tests left out were not entered). One panel per scheduled visit."""
    errors: dict[str, list[str]] = {}
    visit = None
    if visit_code != UNSCHEDULED:
        visit = participant.visits.filter(visit_code=visit_code).first()
        if visit is None or visit_code not in SCHEDULED_VISITS:
            errors["visit_code"] = [_("No laboratory panel is planned at %(visit)s.") % {"visit": visit_code}]
        elif LabPanel.objects.filter(visit=visit).exists():
            errors["visit_code"] = [
                _("A panel is already recorded at %(visit)s: correct its results instead.") % {"visit": visit_code}
            ]
    _check_collected_at(participant, visit_code, collected_at, errors)
    cleaned = {code: _clean_entry(code, entry, errors, prefix=f"{code}_") for code, entry in results.items()}
    if not cleaned and "visit_code" not in errors:
        errors["__all__"] = [_("Enter at least one result.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        panel = audited_save(
            LabPanel(participant=participant, visit=visit, visit_code=visit_code, collected_at=collected_at),
            user=user,
        )
        new = [
            LabResult(participant=participant, panel=panel, test_code=code, **data) for code, data in cleaned.items()
        ]
        lab_results_derive(participant=participant, user=user, pending=new)
        _check_significance(new, user=user, prefix_of=lambda r: f"{r.test_code}_")
        for result in new:
            audited_save(result, user=user)
        figures.study_data_changed()
        return panel


def lab_result_record(
    *,
    participant: Participant,
    user,
    test_code: str,
    value=None,
    unit: str = "",
    not_done_reason: str = "",
    clinically_significant: bool | None = None,
    visit_code: str | None = None,
    collected_at: datetime | None = None,
    result: LabResult | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> LabResult:
    """Record one result (into the visit's panel, created when there is none yet) or, with `result`
    and a `reason`, correct its entered values."""
    errors: dict[str, list[str]] = {}
    entry = {"value": value, "unit": unit, "not_done_reason": not_done_reason}
    entry["clinically_significant"] = clinically_significant
    data = _clean_entry(test_code, entry, errors)
    if result is None:
        visit_code = visit_code or UNSCHEDULED
        if visit_code != UNSCHEDULED and visit_code not in SCHEDULED_VISITS:
            errors["visit_code"] = [_("No laboratory panel is planned at %(visit)s.") % {"visit": visit_code}]
        _check_collected_at(participant, visit_code, collected_at, errors)
    elif not (reason or "").strip():
        errors["reason_for_change"] = [_("A reason for change is required to change data that has already been saved.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if result is None:
            panel = None
            if visit_code != UNSCHEDULED:
                visit = participant.visits.filter(visit_code=visit_code).first()
                if visit is None:
                    raise ValidationError(
                        {"visit_code": [_("%(p)s has no visit %(v)s.") % {"p": participant, "v": visit_code}]}
                    )
                panel = LabPanel.objects.filter(visit=visit).first()
                if panel is not None and panel.collected_at != collected_at:
                    raise ValidationError(
                        {
                            "collected_at": [
                                _("The %(visit)s panel was collected at another time.") % {"visit": visit_code}
                            ]
                        }
                    )
            else:
                visit = None
            if panel is None:
                panel = audited_save(
                    LabPanel(participant=participant, visit=visit, visit_code=visit_code, collected_at=collected_at),
                    user=user,
                )
            elif panel.results.filter(test_code=test_code).exists():
                raise ValidationError({"test_code": [_("This test is already recorded in the panel.")]})
            result = LabResult(participant=participant, panel=panel, test_code=test_code)
        else:
            check_version(result, expected_version)
        significant_before = result.clinically_significant
        for name, item in data.items():
            setattr(result, name, item)
        lab_results_derive(participant=participant, user=user, pending=[result])
        _check_significance([result], user=user, before=significant_before)
        saved = audited_save(result, user=user, reason=reason, expected_version=expected_version)
        figures.study_data_changed()
        return saved
