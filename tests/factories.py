"""Test data built straight from the models (audited), independent of the services under test.

`enrolled_participant(...)` gives a participant with screening, sign-off and all seven visits
as the protocol plans them, so dosing, safety, reminder and export tests can start from a
realistic state without going through the browser or API.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from signatures.models import Meaning, Signature
from signatures.services import signature_add
from subjects import schedule
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit
from trialsite.audit import audited_save
from trialsite.roles import Cap, Role, has_cap

EXCLUSIONS_NO = {
    "pregnant_or_breastfeeding": False,
    "active_infection": False,
    "recent_malignancy": False,
    "prior_stem_cell_therapy": False,
    "recent_systemic_therapy": False,
    "recent_trial_participation": False,
    "severe_organ_disease": False,
    "product_allergy": False,
}


@transaction.atomic
def participant(
    user,
    *,
    initials: str = "AB",
    sex: str = "F",
    date_of_birth: date = date(1980, 5, 17),
    consent_date: date = date(2024, 1, 2),
    status: str = ParticipantStatus.SCREENING,
    race: str = "",
    ethnicity: str = "",
) -> Participant:
    study = Study.objects.select_for_update().get()
    seq = (Participant.objects.order_by("-screening_seq").values_list("screening_seq", flat=True).first() or 0) + 1
    p = Participant(
        screening_seq=seq,
        screening_number=f"SCR-{seq:03d}",
        site_id=study.site_id,
        initials=initials,
        sex=sex,
        date_of_birth=date_of_birth,
        consent_date=consent_date,
        consent_version="1.0",
        status=status,
        race=race,
        ethnicity=ethnicity,
    )
    return audited_save(p, user=user)


@transaction.atomic
def enrolled_participant(
    user,
    *,
    screening_date: date = date(2024, 1, 3),
    planned_day1: date = date(2024, 1, 10),
    day1: date | None = None,
    weight_kg: Decimal = Decimal("63.5"),
    signoff_user=None,
    **participant_fields,
) -> Participant:
    """An enrolled participant with screening (eligible, signed off) and visits SCR..W12."""
    study = Study.current()
    p = participant(user, status=ParticipantStatus.ENROLLED, **participant_fields)
    subject_number = Participant.objects.exclude(subject_id=None).count() + 1
    p.subject_id = f"{subject_number:03d}"
    p.usubjid = f"{study.study_id}-{p.site_id}-{p.subject_id}"
    p.enrolled_at = timezone.now()
    p.day1_date = day1
    audited_save(p, user=user, reason="Enrolled (test fixture)")
    audited_save(
        Screening(
            participant=p,
            screening_date=screening_date,
            planned_day1_date=planned_day1,
            weight_kg=weight_kg,
            height_cm=Decimal("168.0"),
            bsa_percent=Decimal("15.0"),
            screening_pasi=Decimal("12.4"),
            eligible=True,
            failed_criteria=[],
            **EXCLUSIONS_NO,
        ),
        user=user,
    )
    eligibility_signature(p, signoff_user or user)
    create_visits(p, user=user, screening_date=screening_date, planned_day1=planned_day1, day1=day1)
    return p


def eligibility_signature(p: Participant, signer) -> Signature:
    """The eligibility sign-off of a fixture participant (as given after re-authentication)."""
    if not has_cap(signer, Cap.SIGN_OFF):  # a coordinator's fixture: its investigator signs
        signer, created = User.objects.get_or_create(username="fixture-investigator", defaults={"first_name": "Ina"})
        if created:
            signer.groups.add(Group.objects.get(name=Role.INVESTIGATOR.value))
    return signature_add(signer=signer, meaning=Meaning.ELIGIBILITY, record=Screening.objects.get(participant=p))


def create_visits(p: Participant, *, user, screening_date: date, planned_day1: date, day1: date | None) -> list[Visit]:
    study = Study.current()
    rules = [d.as_rule() for d in study.visit_definitions.all()]
    planned = schedule.plan_visits(
        rules,
        screening_date=screening_date,
        planned_day1=planned_day1,
        day1=day1,
        screening_window_days=study.screening_window_days,
    )
    visits = []
    for pv in planned:
        visit = Visit(
            participant=p,
            visit_code=pv.code,
            visitnum=pv.visitnum,
            target_date=pv.target_date,
            window_start=pv.window_start,
            window_end=pv.window_end,
            actual_date=screening_date if pv.code == "SCR" else (day1 if pv.code == "W0" else None),
        )
        visit.status = visit.state_on(timezone.localdate())
        visits.append(audited_save(visit, user=user))
    return visits


def days(n: int) -> timedelta:
    return timedelta(days=n)


def pasi_assessment(participant, code: str, total: str, user):
    """A saved PASI at `code` with the given total (items fixed; the total is not derived from them),
    dated the visit's target date: for figures that read stored PASI values, past the entry form."""
    from assessments.models import PasiAssessment

    visit = participant.visits.get(visit_code=code)
    items = {}
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        items.update({f"{region}_erythema": 2, f"{region}_induration": 2, f"{region}_desquamation": 1})
        items[f"{region}_area_score"] = 2
    return audited_save(
        PasiAssessment(
            participant=participant,
            visit=visit,
            assessment_date=visit.target_date,
            assessor=user,
            pasi_total=Decimal(total),
            **items,
        ),
        user=user,
    )
