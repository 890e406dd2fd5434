"""A small, hand-checkable study for the export tests (SDTM, ODM, audit trail).

Participant 1 (SCR-001 / S2018-11-01-001): screened 2024-01-03, Day 1 = 2024-01-10, with
vitals on Day 1 and Day 2, infusion 1 on Day 1, a PASI on Day 2 (W0) and two AEs (Day -1, Day 1).
Participant 2 (SCR-002): a screen failure (age and active infection).
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from assessments import pasi as pasi_rules
from assessments.models import PasiAssessment
from deviations.services import deviation_record
from dosing import dose
from dosing.models import Infusion, VitalSigns
from labs.services import lab_panel_record
from medications.services import cm_record, mh_record
from safety.models import AdverseEvent
from subjects.models import ParticipantStatus, Screening
from tests import factories
from trialsite.audit import audited_save

SITE = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SITE)


def build_study_data(user):
    p1 = factories.enrolled_participant(
        user, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10), day1=date(2024, 1, 10)
    )
    visits = {v.visit_code: v for v in p1.visits.all()}
    w0 = visits["W0"]
    audited_save(
        VitalSigns(
            participant=p1,
            visit=w0,
            timepoint="pre_infusion",
            measured_at=local(2024, 1, 10, 9, 0),
            weight_kg=Decimal("63.5"),
            systolic_bp=120,
            diastolic_bp=80,
            heart_rate=72,
            temperature_c=Decimal("36.8"),
            respiratory_rate=16,
            spo2_percent=98,
        ),
        user=user,
    )
    infusion = audited_save(
        Infusion(
            participant=p1,
            visit=w0,
            infusion_number=1,
            weight_kg_used=Decimal("63.5"),
            dose_per_kg=2_000_000,
            planned_cells=dose.planned_cells(Decimal("63.5"), 2_000_000),  # 127 000 000, by the rule
            administered_cells=126_500_000,
            product_lot="LOT-A1",
            viability_percent=Decimal("95.0"),
            thaw_time=local(2024, 1, 10, 8, 30),
            start_time=local(2024, 1, 10, 9, 15),
            end_time=local(2024, 1, 10, 9, 45),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
            administered_by=user,
        ),
        user=user,
    )
    # 01:30 on 11 January in Shanghai is still 10 January in UTC: study day 2, not 1.
    audited_save(
        VitalSigns(
            participant=p1,
            visit=w0,
            timepoint="visit",
            measured_at=local(2024, 1, 11, 1, 30),
            weight_kg=Decimal("64.0"),
            heart_rate=70,
        ),
        user=user,
    )
    pasi = PasiAssessment(
        participant=p1,
        visit=w0,
        assessment_date=date(2024, 1, 11),
        assessor=user,
        bsa_percent=Decimal("22.0"),
        head_erythema=2,
        head_induration=1,
        head_desquamation=1,
        head_area_percent=Decimal("15.0"),
        head_area_score=2,
        upper_limbs_erythema=1,
        upper_limbs_induration=1,
        upper_limbs_desquamation=1,
        upper_limbs_area_percent=None,
        upper_limbs_area_score=1,
        trunk_erythema=2,
        trunk_induration=2,
        trunk_desquamation=2,
        trunk_area_percent=Decimal("35.0"),
        trunk_area_score=3,
        lower_limbs_erythema=3,
        lower_limbs_induration=2,
        lower_limbs_desquamation=2,
        lower_limbs_area_percent=Decimal("55.0"),
        lower_limbs_area_score=4,
    )
    # 0.1 x 4 x 2 + 0.2 x 3 x 1 + 0.3 x 6 x 3 + 0.4 x 7 x 4 = 18.0, by the rules
    pasi.pasi_total = pasi_rules.pasi_total(
        {
            region: pasi_rules.RegionScores(
                **{item: getattr(pasi, f"{region}_{item}") for item in (*pasi_rules.ITEMS, "area_score")}
            )
            for region in pasi_rules.REGIONS
        }
    )
    audited_save(pasi, user=user)
    headache = audited_save(
        AdverseEvent(
            participant=p1,
            ae_number=1,
            term="Headache",
            onset_date=date(2024, 1, 9),
            end_date=date(2024, 1, 11),
            grade=1,
            relationship="not_related",
            expected=True,
            action_taken="not_applicable",
            outcome="recovered",
        ),
        user=user,
    )
    chills = audited_save(
        AdverseEvent(
            participant=p1,
            ae_number=2,
            term="Chills, infusion-related",
            onset_date=date(2024, 1, 10),
            ongoing=True,
            grade=2,
            relationship="probable",
            expected=True,
            action_taken="dose_not_changed",
            outcome="recovering",
            infusion_reaction=True,
            infusion=infusion,
        ),
        user=user,
    )
    p2 = factories.participant(
        user, initials="CD", sex="M", date_of_birth=date(1950, 2, 28), status=ParticipantStatus.SCREEN_FAILED
    )
    audited_save(
        Screening(
            participant=p2,
            screening_date=date(2024, 2, 1),
            planned_day1_date=date(2024, 2, 8),
            weight_kg=Decimal("80.0"),
            height_cm=Decimal("175.0"),
            bsa_percent=Decimal("12.0"),
            eligible=False,
            failed_criteria=["inclusion_age", "exclusion_active_infection"],
            **{**factories.EXCLUSIONS_NO, "active_infection": True},
        ),
        user=user,
    )
    return {"p1": p1, "p2": p2, "infusion": infusion, "pasi": pasi, "headache": headache, "chills": chills}


def later_records(participant, user) -> dict:
    """One record of each type added after the first nine, for participant 1 (not part of the export
    fixtures above): an ALT result of 128 U/L at W4, a medication, a condition and a deviation."""
    panel = lab_panel_record(
        participant=participant,
        user=user,
        visit_code="W4",
        collected_at=local(2024, 2, 7, 8, 0),
        results={"ALT": {"value": Decimal("128")}},
    )
    cm = cm_record(
        participant=participant,
        user=user,
        medication="Paracetamol",
        medication_class="other",
        indication="Headache",
        dose=Decimal("500"),
        dose_unit="mg",
        frequency="PRN",
        route="ORAL",
        start_date="2024-01-05",
        end_date="2024-01-09",
        ongoing=False,
    )
    mh = mh_record(
        participant=participant,
        user=user,
        category="other_condition",
        term="Hypertension",
        psoriasis_type="",
        therapy_type="",
        start_date="2015",
        end_date="",
        ongoing=True,
    )
    deviation = deviation_record(
        participant=participant,
        user=user,
        category="procedure",
        description="Blood pressure measured after the infusion",
        deviation_date=date(2024, 1, 10),
    )
    return {"lab_result": panel.results.get(), "cm": cm, "mh": mh, "deviation": deviation}


def add_participants(user, count: int) -> None:
    """More enrolled participants with one of each record, for query-count and size tests."""
    for n in range(count):
        p = factories.enrolled_participant(user, day1=date(2024, 1, 10))
        w0 = p.visits.get(visit_code="W0")
        audited_save(
            VitalSigns(participant=p, visit=w0, timepoint="visit", measured_at=local(2024, 1, 10, 9, 0), heart_rate=70),
            user=user,
        )
        audited_save(
            AdverseEvent(
                participant=p,
                ae_number=1,
                term=f"Nausea {n}",
                onset_date=date(2024, 1, 12),
                end_date=date(2024, 1, 13),
                grade=1,
                relationship="unlikely",
                expected=False,
                action_taken="dose_not_changed",
                outcome="recovered",
            ),
            user=user,
        )
