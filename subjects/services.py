"""The one door for every write on participants, screening, visits and the study configuration.

Each function is transactional and audited (`audited_save`), takes keyword-only arguments and
raises `ValidationError({field: [message]})` for bad input, so views, the API and other apps
(assessments, dosing, safety, reminders) all go through the same rules. Those that change what the
DMC dashboard shows (participants' status, enrollment, the study configuration) make its cached
figures stale from their commit on (trialsite.figures).
"""

import re
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from signatures.models import Meaning, Signature
from signatures.services import signature_add, signer_reauthenticate, valid_signature
from subjects import eligibility
from subjects.models import (
    Ethnicity,
    Participant,
    ParticipantStatus,
    Race,
    Screening,
    Study,
    Visit,
    VisitDefinition,
    VisitStatus,
)
from subjects.sitetime import site_date
from subjects.visits import (  # noqa: F401  (re-exported: the one door for visits too)
    ENROLLED_STATUSES,
    error,
    format_date,
    format_window,
    or_default,
    replan_visits,
    site_today,
    visit_record,
    visit_refresh_statuses,
    visits_reanchor,
)
from trialsite import figures
from trialsite.audit import audited_save, check_version, reason_error
from trialsite.roles import Cap, has_cap

INITIALS_RE = re.compile(r"^[A-Z]{2,4}$")
MAX_AGE_YEARS = 120
SIGNOFF_MEANING = Meaning.ELIGIBILITY.label
SCREENING_FIELDS = (
    "screening_date",
    "planned_day1_date",
    "weight_kg",
    "height_cm",
    "bsa_percent",
    *eligibility.EXCLUSION_KEYS,
)
# Values an administrator may change on the study configuration; a data manager only the target.
STUDY_FIELDS = (
    "title",
    "site_id",
    "time_zone",
    "default_language",
    "enrollment_target",
    "dose_per_kg_cells",
    "dose_tolerance_percent",
    "max_infusions",
    "screening_window_days",
    "pasi_threshold",
    "bsa_threshold",
    "min_age",
    "max_age",
    "reminder_lead_days",
    "reminder_hour",
    "sae_report_hours",
    "hold_min_grade",
    "dmc_alert_threshold",
    "vitals_interval_minutes",
    "ae_followup_days",
)
TARGET_ONLY_FIELDS = ("enrollment_target",)


def _lock_study() -> Study:
    return Study.objects.select_for_update().get()


# --- Registration -----------------------------------------------------------------------------


def _check_identity(*, initials, sex, date_of_birth, consent_date, consent_version, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if not initials or not INITIALS_RE.match(initials):
        errors["initials"] = [_("Initials are 2 to 4 capital letters (A–Z).")]
    if sex not in ("M", "F"):
        errors["sex"] = [_("Sex is M or F.")]
    if date_of_birth is None:
        errors["date_of_birth"] = [_("Date of birth is required.")]
    elif date_of_birth > today:
        errors["date_of_birth"] = [_("Date of birth cannot be in the future.")]
    elif eligibility.age_in_completed_years(date_of_birth, today) > MAX_AGE_YEARS:
        errors["date_of_birth"] = [_("Date of birth gives an age above %(years)d years.") % {"years": MAX_AGE_YEARS}]
    if consent_date is None:
        errors["consent_date"] = [_("Consent date is required.")]
    elif consent_date > today:
        errors["consent_date"] = [_("Consent date cannot be in the future.")]
    elif date_of_birth is not None and consent_date < date_of_birth:
        errors["consent_date"] = [_("Consent date cannot be before the date of birth.")]
    if not (consent_version or "").strip():
        errors["consent_version"] = [_("Consent version is required.")]
    if errors:
        raise ValidationError(errors)


def _check_optional_choices(race: str, ethnicity: str) -> None:
    """Race and ethnicity are optional (blank: not collected), else one of their choices."""
    errors: dict[str, list[str]] = {}
    if race and race not in Race.values:
        errors["race"] = [_("Race is not one of the listed choices.")]
    if ethnicity and ethnicity not in Ethnicity.values:
        errors["ethnicity"] = [_("Ethnicity is not one of the listed choices.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def participant_register(
    *, user, initials, sex, date_of_birth, consent_date, consent_version, site_id=None, race="", ethnicity=""
) -> Participant:
    """Register a participant; screening numbers SCR-001… are gapless under the Study row lock."""
    study = _lock_study()
    _check_identity(
        initials=initials,
        sex=sex,
        date_of_birth=date_of_birth,
        consent_date=consent_date,
        consent_version=consent_version,
        today=site_today(study),
    )
    _check_optional_choices(race or "", ethnicity or "")
    seq = (Participant.objects.aggregate(m=Max("screening_seq"))["m"] or 0) + 1
    participant = Participant(
        screening_seq=seq,
        screening_number=f"SCR-{seq:03d}",
        site_id=site_id or study.site_id,
        initials=initials,
        sex=sex,
        date_of_birth=date_of_birth,
        consent_date=consent_date,
        consent_version=consent_version.strip(),
        race=race or "",
        ethnicity=ethnicity or "",
    )
    figures.study_data_changed()
    return audited_save(participant, user=user)


@transaction.atomic
def participant_update(*, participant, user, reason, expected_version: int | None = None, **fields) -> Participant:
    """Correct registration data (initials, sex, date of birth, race, ethnicity, consent) with a reason.

    `expected_version` (here and in every door below): the version of the record the caller read;
    EditConflict when it changed since (None: the caller read it in this transaction).
    """
    allowed = {"initials", "sex", "date_of_birth", "race", "ethnicity", "consent_date", "consent_version"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    check_version(participant, expected_version)
    for name, value in fields.items():
        setattr(participant, name, value)
    study = Study.current()
    _check_identity(
        initials=participant.initials,
        sex=participant.sex,
        date_of_birth=participant.date_of_birth,
        consent_date=participant.consent_date,
        consent_version=participant.consent_version,
        today=site_today(study),
    )
    participant.race, participant.ethnicity = participant.race or "", participant.ethnicity or ""
    _check_optional_choices(participant.race, participant.ethnicity)
    screening = Screening.objects.filter(participant=participant).first()
    if screening is not None and participant.consent_date > screening.screening_date:
        raise error("consent_date", _("Consent date cannot be after the screening date."))
    audited_save(participant, user=user, reason=reason)
    if screening is not None:
        _evaluate_and_store(screening, participant=participant, study=study, user=user, reason=reason)
    return participant


# --- Screening and eligibility ------------------------------------------------------------------


def screening_facts(participant: Participant, values: dict) -> eligibility.ScreeningFacts:
    """Eligibility facts from a participant and screening values (a dict or a Screening's fields)."""
    return eligibility.ScreeningFacts(
        screening_date=values["screening_date"],
        date_of_birth=participant.date_of_birth,
        consent_date=participant.consent_date,
        consent_version=participant.consent_version,
        screening_pasi=values.get("screening_pasi"),
        bsa_percent=values.get("bsa_percent"),
        exclusions={key: values.get(key) for key in eligibility.EXCLUSION_KEYS},
    )


def criterion_labels(names) -> list[str]:
    """The sentences of failed criteria in the current language (eligibility.criterion_label)."""
    return [eligibility.criterion_label(name, _) for name in names]


def screening_preview(*, participant: Participant, values: dict) -> eligibility.EligibilityResult | None:
    """Evaluate eligibility for unsaved form values (live preview); None without a screening date."""
    if values.get("screening_date") is None:
        return None
    existing = Screening.objects.filter(participant=participant).first()
    values = {"screening_pasi": existing.screening_pasi if existing else None, **values}
    return eligibility.evaluate(screening_facts(participant, values), Study.current().eligibility_criteria)


def _check_screening(screening: Screening, participant: Participant, study: Study) -> None:
    errors: dict[str, list[str]] = {}
    today = site_today(study)
    screening_date, day1 = screening.screening_date, screening.planned_day1_date
    if screening_date is not None:
        if screening_date > today:
            errors["screening_date"] = [_("Screening date cannot be in the future.")]
        elif screening_date < participant.consent_date:
            errors["screening_date"] = [
                _("Screening date cannot be before the consent date (consent must come first).")
            ]
        elif screening_date < participant.date_of_birth:
            errors["screening_date"] = [_("Screening date cannot be before the date of birth.")]
    if screening_date is not None and day1 is not None:
        window = study.screening_window_days
        if day1 <= screening_date:
            errors["planned_day1_date"] = [_("Planned Day 1 must be after the screening date.")]
        elif (day1 - screening_date).days > window:
            errors["planned_day1_date"] = [
                _("Planned Day 1 must be at most %(days)d days after the screening date.") % {"days": window}
            ]
    if errors:
        raise ValidationError(errors)


def _evaluate_and_store(
    screening: Screening, *, participant: Participant, study: Study, user, reason: str | None
) -> Screening:
    """Evaluate eligibility, store the result and move the participant to/from screen failure."""
    result = eligibility.evaluate(
        screening_facts(participant, {f: getattr(screening, f) for f in (*SCREENING_FIELDS, "screening_pasi")}),
        study.eligibility_criteria,
    )
    if screening.eligible != result.eligible or screening.failed_criteria != list(result.failed):
        screening.eligible = result.eligible
        screening.failed_criteria = list(result.failed)
        audited_save(screening, user=user, reason=or_default(reason, "Eligibility re-evaluated"))
    complete = screening.screening_pasi is not None
    if participant.status == ParticipantStatus.SCREENING and complete and not result.eligible:
        participant.status = ParticipantStatus.SCREEN_FAILED
        audited_save(participant, user=user, reason="Screen failure: " + ", ".join(result.failed))
    elif participant.status == ParticipantStatus.SCREEN_FAILED and (result.eligible or not complete):
        participant.status = ParticipantStatus.SCREENING
        audited_save(participant, user=user, reason=or_default(reason, "Screening corrected"))
    figures.study_data_changed()
    return screening


def _sync_screening_visit(participant: Participant, screening: Screening, study: Study, *, user, reason) -> None:
    """Create the SCR visit, or move it with the screening and planned Day 1 dates."""
    replan_visits(participant, screening=screening, study=study, user=user, reason=reason, create_codes={"SCR"})


def eligibility_signed_participants(participants) -> set[int]:
    """The ids of those of `participants` whose eligibility is signed off (one query)."""
    return set(
        Signature.objects.filter(
            meaning=Meaning.ELIGIBILITY, invalidated_at=None, participant__in=[p.pk for p in participants]
        ).values_list("participant_id", flat=True)
    )


def eligibility_signature(screening: Screening | None) -> Signature | None:
    """The valid eligibility sign-off of the screening form (a change of the form invalidates it)."""
    return valid_signature(Meaning.ELIGIBILITY, screening) if screening is not None else None


@transaction.atomic
def screening_save(*, participant, user, reason=None, expected_version: int | None = None, **fields) -> Screening:
    """Create or correct the screening form; a change after first save needs `reason`.

    Changing screening data invalidates the investigator's sign-off (signatures.services): the
    sign-off confirmed eligibility on the data as it was.
    """
    unknown = set(fields) - set(SCREENING_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown screening field.")] for name in sorted(unknown)})
    study = Study.current()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.status in (ParticipantStatus.WITHDRAWN, ParticipantStatus.COMPLETED):
        raise error(
            "status", _("The participant is %(status)s.") % {"status": str(participant.get_status_display()).lower()}
        )
    screening = Screening.objects.filter(participant=participant).first()
    creating = screening is None
    if creating:
        screening = Screening(participant=participant)
    else:
        check_version(screening, expected_version)
        if not (reason or "").strip():
            raise reason_error()
    changed = False
    for name, value in fields.items():
        if getattr(screening, name, None) != value:
            setattr(screening, name, value)
            changed = True
    _check_screening(screening, participant, study)
    if not creating and not changed:
        return screening
    audited_save(screening, user=user, reason=None if creating else reason)
    _sync_screening_visit(participant, screening, study, user=user, reason=reason)
    return _evaluate_and_store(screening, participant=participant, study=study, user=user, reason=reason)


@transaction.atomic
def screening_set_pasi(*, participant, pasi_total: Decimal | None, user, reason=None) -> Screening:
    """Store the SCR PASI (from the assessments app) and re-evaluate eligibility.

    The first value needs no reason (it is the first entry of that item); changing a recorded
    value does.
    """
    study = Study.current()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    screening = Screening.objects.filter(participant=participant).first()
    if screening is None:
        raise error("screening", _("Record the screening form before the screening PASI."))
    if screening.screening_pasi == pasi_total:
        return screening
    if screening.screening_pasi is not None and not (reason or "").strip():
        raise reason_error()
    screening.screening_pasi = pasi_total
    audited_save(screening, user=user, reason=or_default(reason, "Screening PASI recorded"))
    return _evaluate_and_store(screening, participant=participant, study=study, user=user, reason=reason)


def eligibility_signoff(
    *, participant, investigator, password, request, otp: str | None = None, expected_version: int | None = None
) -> Screening:
    """Investigator sign-off: an electronic signature of the screening form ("I confirm this participant's
    eligibility"), re-authenticated with the password through the lockout and the second factor.

    The password is checked before the transaction of the sign-off, so a wrong one is counted even
    though nothing is saved. A sign-off a later change invalidated can be given again, also after
    enrollment.
    """
    if not has_cap(investigator, Cap.SIGN_OFF):
        raise PermissionDenied(_("Only an investigator can sign off eligibility."))
    signer_reauthenticate(request=request, signer=investigator, password=password, otp=otp)
    with transaction.atomic():
        return _sign_off(participant, investigator, expected_version)


def _sign_off(participant, investigator, expected_version: int | None) -> Screening:
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    screening = Screening.objects.filter(participant=participant).first()
    if screening is not None:
        check_version(screening, expected_version)
    if screening is None or not screening.eligible:
        raise error("eligible", _("Only an eligible participant can be signed off."))
    signed_before = Signature.objects.filter(
        meaning=Meaning.ELIGIBILITY, record_type="screening", record_id=screening.pk
    )
    if participant.status != ParticipantStatus.SCREENING and not signed_before.exists():
        raise error("status", _("Sign-off is only possible while the participant is in screening."))
    if eligibility_signature(screening) is not None:
        raise error("investigator_signoff", _("Eligibility has already been signed off."))
    signature_add(signer=investigator, meaning=Meaning.ELIGIBILITY, record=screening)
    return screening


# --- Enrollment and withdrawal --------------------------------------------------------------------


def enrolled_count() -> int:
    return Participant.objects.filter(subject_id__isnull=False).count()


@transaction.atomic
def participant_enroll(*, participant, user, expected_version: int | None = None) -> Participant:
    """Enroll an eligible, signed-off participant within the target: subject ID, USUBJID, visits."""
    study = _lock_study()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    check_version(participant, expected_version)
    if participant.subject_id:
        raise error("subject_id", _("%(number)s is already enrolled.") % {"number": participant.screening_number})
    if participant.status != ParticipantStatus.SCREENING:
        raise error(
            "status",
            _("Only a participant in screening can be enrolled (now: %(status)s).") % {"status": participant.status},
        )
    screening = Screening.objects.filter(participant=participant).first()
    if screening is None or not screening.eligible:
        raise error("eligible", _("The participant is not eligible."))
    if eligibility_signature(screening) is None:
        raise error("investigator_signoff", _("An investigator must sign off eligibility before enrollment."))
    count = enrolled_count()
    if count >= study.enrollment_target:
        raise error(
            "enrollment_target",
            _("The enrollment target of %(target)d is reached; a data manager must raise the target first.")
            % {"target": study.enrollment_target},
        )
    last = (
        Participant.objects.filter(subject_id__isnull=False)
        .order_by("-subject_id")
        .values_list("subject_id", flat=True)
        .first()
    )
    number = int(last) + 1 if last else 1
    participant.subject_id = f"{number:03d}"
    participant.usubjid = f"{study.study_id}-{participant.site_id}-{participant.subject_id}"
    participant.enrolled_at = timezone.now()
    participant.status = ParticipantStatus.ENROLLED
    audited_save(participant, user=user, reason=f"Enrolled as subject {participant.subject_id}")
    replan_visits(participant, screening=screening, study=study, user=user, reason=None, create_codes=None)
    figures.study_data_changed()
    return participant


@transaction.atomic
def participant_withdraw(
    *, participant, user, withdrawal_date, withdrawal_reason, expected_version: int | None = None
) -> Participant:
    """Withdraw an enrolled participant: visits not yet done become 'not done'; nothing is deleted."""
    study = Study.current()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    check_version(participant, expected_version)
    if participant.status != ParticipantStatus.ENROLLED:
        raise error("status", _("Only an enrolled participant can be withdrawn."))
    errors: dict[str, list[str]] = {}
    withdrawal_reason = (withdrawal_reason or "").strip()
    if withdrawal_date is None:
        errors["withdrawal_date"] = [_("Withdrawal date is required.")]
    elif withdrawal_date > site_today(study):
        errors["withdrawal_date"] = [_("Withdrawal date cannot be in the future.")]
    elif withdrawal_date < site_date(participant.enrolled_at, study):
        errors["withdrawal_date"] = [_("Withdrawal date cannot be before enrollment.")]
    if not withdrawal_reason:
        errors["withdrawal_reason"] = [_("Withdrawal reason is required.")]
    if errors:
        raise ValidationError(errors)
    participant.withdrawal_date = withdrawal_date
    participant.withdrawal_reason = withdrawal_reason
    participant.status = ParticipantStatus.WITHDRAWN
    audited_save(participant, user=user, reason=f"Withdrawn: {withdrawal_reason}")
    note = f"Participant withdrawn on {withdrawal_date.isoformat()}: {withdrawal_reason}"
    open_visits = participant.visits.filter(
        actual_date__isnull=True, not_done_reason="", window_end__gte=withdrawal_date
    )
    for visit in open_visits:
        visit.not_done_reason = note
        visit.status = VisitStatus.NOT_DONE
        audited_save(visit, user=user, reason="Schedule ended by withdrawal")
    figures.study_data_changed()
    return participant


# --- Study configuration -------------------------------------------------------------------------


@transaction.atomic
def study_update(*, user, reason, expected_version: int | None = None, **fields) -> Study:
    """Change study configuration values (admin: any; data manager: enrollment_target), audited."""
    if has_cap(user, Cap.CONFIGURE_STUDY):
        allowed = STUDY_FIELDS
    elif has_cap(user, Cap.CHANGE_TARGET):
        allowed = TARGET_ONLY_FIELDS
    else:
        raise PermissionDenied(_("You may not change the study configuration."))
    refused = sorted(set(fields) - set(allowed))
    if refused:
        raise ValidationError({name: [_("You may not change this value.")] for name in refused})
    if not (reason or "").strip():
        raise reason_error()
    study = _lock_study()
    check_version(study, expected_version)
    changed = {name: value for name, value in fields.items() if getattr(study, name) != value}
    if not changed:
        return study
    target = changed.get("enrollment_target")
    if target is not None:
        count = enrolled_count()
        if target < count:
            raise error(
                "enrollment_target",
                _("The target cannot be below the %(count)d participants already enrolled.") % {"count": count},
            )
        if target < study.enrollment_target and not has_cap(user, Cap.CONFIGURE_STUDY):
            raise error(
                "enrollment_target",
                _("A data manager may raise the enrollment target only; lowering it is an administrator's change."),
            )
    if "time_zone" in changed:
        try:
            ZoneInfo(changed["time_zone"])
        except Exception:
            raise error("time_zone", _("Unknown time zone.")) from None
    for name, value in changed.items():
        setattr(study, name, value)
    if study.min_age > study.max_age:
        raise error("min_age", _("Minimum age cannot be above the maximum age."))
    figures.study_data_changed()
    return audited_save(study, user=user, reason=reason)


# --- Next action -----------------------------------------------------------------------------------


def screening_of(participant: Participant) -> Screening | None:
    """The participant's screening form, or None (uses a select_related cache when present)."""
    try:
        return participant.screening
    except Screening.DoesNotExist:
        return None


def page_visits(participant: Participant) -> list[Visit]:
    """The participant's visits for the page and the includes of the other apps, in one query: with
    their PASI and infusion, whether the schedule doses at them (`dosing`) and their number of
    vital-sign records (`vitals_count`), which the dosing table shows."""
    dosing = VisitDefinition.objects.filter(code=OuterRef("visit_code"), dosing=True)
    return list(
        participant.visits.select_related("pasi_assessment", "infusion")
        .annotate(dosing=Exists(dosing), vitals_count=Count("vital_signs"))
        .order_by("visitnum")
    )


def next_action(participant: Participant, visits: list[Visit] | None = None, signed_off: bool | None = None) -> str:
    """The next thing the site has to do for this participant, as a short sentence.

    `signed_off`: whether eligibility is signed off, when the caller knows (a list page asks once for all).
    """
    status = participant.status
    if status == ParticipantStatus.SCREEN_FAILED:
        return _("Screen failure: no further action")
    if status == ParticipantStatus.WITHDRAWN:
        return _("Withdrawn on %(date)s: no further visits") % {"date": format_date(participant.withdrawal_date)}
    if status == ParticipantStatus.COMPLETED:
        return _("Study completed")
    if status == ParticipantStatus.SCREENING:
        screening = screening_of(participant)
        if screening is None:
            return _("Record screening")
        if screening.screening_pasi is None:
            return _("Record screening PASI")
        if not screening.eligible:
            return _("Review eligibility")
        if not (eligibility_signature(screening) is not None if signed_off is None else signed_off):
            return _("Awaiting investigator sign-off")
        return _("Enroll")
    visits = visits if visits is not None else list(participant.visits.all())
    for visit in visits:
        if visit.visit_code == "SCR" or visit.actual_date or visit.not_done_reason:
            continue
        return _("Record %(code)s visit (window %(window)s)") % {
            "code": visit.visit_code,
            "window": format_window(visit.window_start, visit.window_end),
        }
    return _("All visits recorded")
