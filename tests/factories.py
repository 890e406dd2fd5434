"""Test data: participants built from the models (audited); clinical values with derived fields
(PASI totals and improvements, the baseline PASI) through the services, so the rules derive them.

`enrolled_participant(...)` gives a participant with screening, sign-off and all seven visits
as the protocol plans them, so dosing, safety, reminder and export tests can start from a
realistic state without going through the browser or API.
"""

import functools
import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from assessments import pasi
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


@functools.cache
def regions_scoring(total: str) -> dict:
    """PASI item scores whose total, by the rules (assessments.pasi), is `total` (0.0-72.0): for tests
    that need a given PASI value, entered as an assessor enters scores."""
    target = int(Decimal(total) * 10)
    products = sorted({severity * area for severity in range(13) for area in range(pasi.AREA_SCORE_MAX + 1)})
    weights = pasi.REGION_WEIGHT_TENTHS
    for lower, trunk, upper in itertools.product(products, repeat=3):
        head = target - weights["lower_limbs"] * lower - weights["trunk"] * trunk - weights["upper_limbs"] * upper
        if head in products:
            chosen = {"head": head, "upper_limbs": upper, "trunk": trunk, "lower_limbs": lower}
            regions = {region: _scores_of(product) for region, product in chosen.items()}
            scores = {region: pasi.RegionScores(**items) for region, items in regions.items()}
            assert pasi.pasi_total(scores) == Decimal(total)
            return regions
    raise ValueError(f"no PASI item scores give {total}")


def _scores_of(product: int) -> dict:
    """Erythema, induration, desquamation (0-4 each) and an area score whose (E + I + D) x area is `product`."""
    for area in range(1, pasi.AREA_SCORE_MAX + 1):
        if product % area == 0 and product // area <= 12:
            severity = product // area
            erythema, induration = min(severity, 4), min(max(severity - 4, 0), 4)
            return dict(
                erythema=erythema, induration=induration, desquamation=severity - erythema - induration, area_score=area
            )
    return dict(erythema=0, induration=0, desquamation=0, area_score=0)


def pasi_assessment(participant, code: str, total: str, user, on: date | None = None):
    """The PASI at visit `code` recorded through the service (assessments.services.pasi_save), with
    item scores that give `total` by the rules, dated `on` (default: the visit's actual or target
    date). The baseline PASI and the improvements are derived by the service, as in the CRF."""
    from assessments.services import pasi_save

    visit = participant.visits.get(visit_code=code)
    return pasi_save(
        visit=visit,
        user=user,
        assessment_date=on or visit.actual_date or visit.target_date,
        regions=regions_scoring(total),
    )
