"""A synthetic study of N participants for load tests and demos (issue 8), inserted in bulk.

The generator only draws raw observations (dates, weights, PASI items, AE facts) from
`random.Random(seed)`; everything derived comes from the rule modules: eligibility from
`subjects.eligibility.evaluate`, windows and visit states from `subjects.schedule`, PASI from
`assessments.pasi`, planned dose and deviations from `dosing.dose`, treatment emergence and
safety holds from `safety.rules`. Rows go in through `bulk_create` in batches with one history
row each ("+", the inactive "synthetic" user, reason "Synthetic data (seed S)", linked into the audit
trail's hash chain like any other), a chunk of participants at a time, so the number of queries does
not grow with each row. Every participant
is marked `is_synthetic`; the generator refuses a database that holds real participants.
Same seed and same `today` give the same study.
"""

import hashlib
import io
import json
import random
import string
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from assessments import pasi
from assessments.models import PasiAssessment
from bench.synthetic_forms import FormsBuilder
from deviations.models import ProtocolDeviation
from dosing import dose
from dosing.models import Infusion, Timepoint, VitalSigns
from labs.models import FirstInfusion, LabPanel, LabResult
from medications.models import ConcomitantMedication, MedicalHistory
from safety import rules as safety_rules
from safety.models import ActionTaken, AdverseEvent, Outcome, Relationship, SafetyHold
from signatures.models import Meaning, Signature
from signatures.services import canonical_json, printed_name
from subjects import eligibility, schedule
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit
from subjects.sitetime import site_today, site_zone
from trialsite import chain
from trialsite.audit import audited_save

SYSTEM_USERNAME = "synthetic"
BATCH_SIZE = 5000
CHUNK_PARTICIPANTS = 1000
HISTORY_DAYS = 730  # Day 1 dates spread over the last two years
FUTURE_DAYS = 12  # the most recent participants are screened but not dosed yet

# Share of the body surface of each PASI region, to turn regional involvement into BSA %.
BODY_SURFACE_SHARE = {"head": Decimal("0.1"), "upper_limbs": Decimal("0.2"), "trunk": Decimal("0.3"),
                      "lower_limbs": Decimal("0.4")}  # fmt: skip
REGION_AREA_RANGE = {"head": (5, 40), "upper_limbs": (10, 50), "trunk": (10, 60), "lower_limbs": (15, 70)}

VISIT_DEVIATIONS = ("Participant travelling during the window", "Clinic closed on public holiday",
                    "Participant unwell on the planned date")  # fmt: skip
NOT_DONE_REASONS = ("Participant unable to attend", "Participant hospitalised elsewhere", "Clinic closure")
DOSE_DEVIATIONS = ("Viable cell count after thaw below plan", "Product volume partly lost during preparation",
                   "Weight re-measured after dose preparation")  # fmt: skip
WITHDRAWAL_REASONS = ("Withdrew consent", "Lost to follow-up", "Moved away from the study site")

# (term, relative frequency, is an infusion reaction, expected)
AE_TERMS = (
    ("Headache", 18, False, True),
    ("Fatigue", 12, False, True),
    ("Pyrexia", 10, False, True),
    ("Infusion-related reaction", 8, True, True),
    ("Nasopharyngitis", 12, False, False),
    ("Upper respiratory tract infection", 8, False, False),
    ("Nausea", 6, False, False),
    ("Pruritus", 6, False, False),
    ("Dizziness", 5, False, False),
    ("Arthralgia", 4, False, False),
    ("Hypertension", 3, False, False),
    ("Diarrhoea", 3, False, False),
    ("Alanine aminotransferase increased", 2, False, False),
    ("Urticaria", 2, False, False),
)
SEVERE_TERMS = ("Pneumonia", "Cellulitis", "Acute kidney injury", "Atrial fibrillation")
FATAL_TERMS = ("Myocardial infarction", "Sepsis", "Road traffic accident")


class SyntheticDataRefused(Exception):
    """The database holds real participants: synthetic data must never be mixed with them."""


@dataclass
class GenerationSummary:
    participants: int = 0
    enrolled: int = 0
    screen_failed: int = 0
    visits: int = 0
    vital_signs: int = 0
    infusions: int = 0
    pasi_assessments: int = 0
    adverse_events: int = 0
    safety_holds: int = 0
    lab_results: int = 0
    medications: int = 0
    medical_history: int = 0
    deviations: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')}: {getattr(self, f.name)}" for f in fields(self))


def change_reason(seed: int) -> str:
    return f"Synthetic data (seed {seed})"


def system_user() -> User:
    """The inactive account synthetic rows are attributed to (it cannot log in)."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "Synthetic", "last_name": "data"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def generate_study(
    *,
    participants: int,
    seed: int,
    today: date | None = None,
    chunk_size: int = CHUNK_PARTICIPANTS,
    batch_size: int = BATCH_SIZE,
) -> GenerationSummary:
    """Insert `participants` synthetic participants with their whole history up to `today`.

    Raises SyntheticDataRefused when any real (non-synthetic) participant exists.
    """
    if participants < 1:
        raise ValueError("participants must be at least 1")
    with transaction.atomic():
        study = Study.objects.select_for_update().get()
        if Participant.objects.filter(is_synthetic=False).exists():
            raise SyntheticDataRefused(
                "This database holds real participants: synthetic data is only generated into a database "
                "without any (use a dedicated database)."
            )
        user = system_user()
        builder = _Builder(study=study, user=user, seed=seed, total=participants, today=today or site_today(study))
        summary = GenerationSummary()
        reason = change_reason(seed)
        for start in range(0, participants, chunk_size):
            rows = _Rows()
            for index in range(start, min(start + chunk_size, participants)):
                builder.add_participant(index, rows)
            rows.insert(user=user, reason=reason, batch_size=batch_size, summary=summary, forms=builder.forms)
        total = builder.next_seq - 1
        if study.enrollment_target < total:
            study.enrollment_target = total
            audited_save(study, user=user, reason=f"{reason}: enrollment target raised to {total} participants")
    return summary


@dataclass
class _Rows:
    participants: list = field(default_factory=list)
    screenings: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    infusions: list = field(default_factory=list)
    vital_signs: list = field(default_factory=list)
    pasi_assessments: list = field(default_factory=list)
    adverse_events: list = field(default_factory=list)
    safety_holds: list = field(default_factory=list)
    signatures: list = field(default_factory=list)  # (screening, signature): record_id once it is stored
    first_infusions: list = field(default_factory=list)
    lab_panels: list = field(default_factory=list)
    lab_results: list = field(default_factory=list)
    medications: list = field(default_factory=list)
    medical_history: list = field(default_factory=list)

    def insert(self, *, user, reason: str, batch_size: int, summary: GenerationSummary, forms) -> None:
        # Parents first: their primary keys are known before the children's foreign keys are read.
        now = timezone.now()
        for assessment in self.pasi_assessments:  # bulk inserts skip save(): derive now, baselines known
            assessment.derive()
        forms.derive_labs(self, self.participants)
        self._insert(self._tables(), user=user, reason=reason, now=now, batch_size=batch_size)
        deviations = forms.deviations(self, forms.dosing_codes)
        self._insert([(ProtocolDeviation, deviations)], user=user, reason=reason, now=now, batch_size=batch_size)
        summary.lab_results += len(self.lab_results)
        summary.medications += len(self.medications)
        summary.medical_history += len(self.medical_history)
        summary.deviations += len(deviations)
        self._count(summary)

    def _tables(self):
        return (
            (Participant, self.participants),
            (Screening, self.screenings),
            (Visit, self.visits),
            (Infusion, self.infusions),
            (VitalSigns, self.vital_signs),
            (PasiAssessment, self.pasi_assessments),
            (AdverseEvent, self.adverse_events),
            (SafetyHold, self.safety_holds),
            (Signature, self.signatures),
            (FirstInfusion, self.first_infusions),
            (LabPanel, self.lab_panels),
            (LabResult, self.lab_results),
            (ConcomitantMedication, self.medications),
            (MedicalHistory, self.medical_history),
        )

    @staticmethod
    def _insert(tables, *, user, reason, now, batch_size) -> None:
        for model, objs in tables:
            if model is Signature:  # the screenings are stored now: their ids are known
                objs = [_signed(screening, signature) for screening, signature in objs]
            if not objs:
                continue
            if connection.vendor == "postgresql":
                _copy_with_history(model, objs, user=user, reason=reason, now=now, batch_size=batch_size)
            else:
                model.objects.bulk_create(objs, batch_size=batch_size)
                history_rows = _history_rows(model, objs, user=user, reason=reason, now=now)
                model.history.model.objects.bulk_create(history_rows, batch_size=batch_size)

    def _count(self, summary: GenerationSummary) -> None:
        summary.participants += len(self.participants)
        summary.enrolled += sum(1 for p in self.participants if p.subject_id)
        summary.screen_failed += sum(1 for p in self.participants if p.status == ParticipantStatus.SCREEN_FAILED)
        for name in ("visits", "vital_signs", "infusions", "pasi_assessments", "adverse_events", "safety_holds"):
            setattr(summary, name, getattr(summary, name) + len(getattr(self, name)))


def _signed(screening: Screening, signature: Signature) -> Signature:
    """The eligibility signature of a stored screening, its hash from the values as stored."""
    values = [{"pk": screening.pk, **{f.attname: getattr(screening, f.attname) for f in Screening._compared_fields()}}]
    signature.record_id = screening.pk
    signature.record_hash = hashlib.sha256(canonical_json(values).encode()).hexdigest()
    return signature


@dataclass
class _Latent:
    """Unobserved disease state of one participant that the PASI draws come from."""

    area: dict[str, float]
    item_level: float
    item_cap: int
    response: float


@dataclass
class _Dosing:
    visit: Visit
    day: date
    start: datetime
    minutes: int
    weight_kg: Decimal
    infusion: Infusion
    dropped: bool = False


class _Builder:
    def __init__(self, *, study: Study, user, seed: int, total: int, today: date):
        self.rng = random.Random(seed)
        self.study = study
        self.user = user
        self.total = total
        self.today = today
        self.last_day = today - timedelta(days=1)  # whatever happened is at the latest yesterday
        self.tz = site_zone(study)
        self.rules = [d.as_rule() for d in study.visit_definitions.all()]
        self.dosing_codes = {r.code for r in self.rules if r.dosing}
        self.criteria = study.eligibility_criteria
        self.forms = FormsBuilder(seed=seed, study=study, today=today, at=self.at)
        self.forms.dosing_codes = self.dosing_codes
        self.next_seq = (Participant.objects.aggregate(m=Max("screening_seq"))["m"] or 0) + 1
        self.next_subject = Participant.objects.exclude(subject_id=None).count() + 1
        self.lot = 0

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, 0), tzinfo=self.tz) + timedelta(minutes=minute)

    # --- one participant -------------------------------------------------------------------

    def add_participant(self, index: int, rows: _Rows) -> None:
        rng = self.rng
        fraction = (index + rng.random()) / self.total
        planned_day1 = self.today + timedelta(days=round(-HISTORY_DAYS + (HISTORY_DAYS + FUTURE_DAYS) * fraction))
        screening_date = min(planned_day1 - timedelta(days=rng.randint(5, 21)), self.last_day)
        failure = None
        if rng.random() < 0.10:
            failure = rng.choices(("severity", "age", "exclusion"), weights=(45, 15, 40))[0]
        sex = "M" if rng.random() < 0.58 else "F"
        age = min(65, int(rng.triangular(18, 66, 40)))
        if failure == "age":
            age = rng.choice((17, rng.randint(66, 72)))
        date_of_birth = _years_before(screening_date, age) - timedelta(days=rng.randint(1, 360))
        consent_date = screening_date - timedelta(days=rng.randint(0, 5))
        seq = self.next_seq
        self.next_seq += 1
        p = Participant(
            screening_seq=seq,
            screening_number=f"SCR-{seq:03d}",
            site_id=self.study.site_id,
            initials="".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice((2, 2, 3)))),
            sex=sex,
            date_of_birth=date_of_birth,
            consent_date=consent_date,
            consent_version="1.0" if planned_day1 < self.today - timedelta(days=365) else "1.1",
            is_synthetic=True,
        )
        rows.participants.append(p)

        latent = self._latent(failure)
        exclusions = dict.fromkeys(eligibility.EXCLUSION_KEYS, False)
        if failure == "exclusion":
            keys = [k for k in eligibility.EXCLUSION_KEYS if sex == "F" or k != "pregnant_or_breastfeeding"]
            exclusions[rng.choice(keys)] = True
        weight = _one_decimal(max(42.0, min(130.0, rng.gauss(70 if sex == "M" else 60, 11))))
        scr_pasi = self._pasi_draw(latent, 1.0)
        result = eligibility.evaluate(
            eligibility.ScreeningFacts(
                screening_date=screening_date,
                date_of_birth=date_of_birth,
                consent_date=consent_date,
                consent_version=p.consent_version,
                screening_pasi=scr_pasi["pasi_total"],
                bsa_percent=scr_pasi["bsa_percent"],
                exclusions=exclusions,
            ),
            self.criteria,
        )
        pending = result.eligible and screening_date >= self.today - timedelta(days=2) and rng.random() < 0.5
        signed = result.eligible and not pending
        signoff_at = self.at(screening_date, 16, rng.randint(0, 90)) if signed else None
        rows.screenings.append(
            Screening(
                participant=p,
                screening_date=screening_date,
                planned_day1_date=planned_day1,
                weight_kg=weight,
                height_cm=_one_decimal(max(140.0, min(200.0, rng.gauss(172 if sex == "M" else 160, 7)))),
                bsa_percent=scr_pasi["bsa_percent"],
                screening_pasi=scr_pasi["pasi_total"],
                eligible=result.eligible,
                failed_criteria=list(result.failed),
                **exclusions,
            )
        )
        if signed:
            signature = Signature(
                participant=p,
                meaning=Meaning.ELIGIBILITY,
                record_type="screening",
                signer=self.user,
                signer_name=printed_name(self.user),
                signed_at=signoff_at,
            )
            rows.signatures.append((rows.screenings[-1], signature))
        self.forms.history(
            p, rows, planned_day1=planned_day1, recent_systemic=exclusions["recent_systemic_therapy"],
            prior_stem_cell=exclusions["prior_stem_cell_therapy"],
        )  # fmt: skip
        if not signed:
            p.status = ParticipantStatus.SCREENING if result.eligible else ParticipantStatus.SCREEN_FAILED
            planned = schedule.plan_visits(
                self.rules[:1], screening_date=screening_date, planned_day1=planned_day1, day1=None,
                screening_window_days=self.study.screening_window_days,
            )  # fmt: skip
            visit = self._visit(p, planned[0], actual=screening_date, rows=rows)
            p.baseline_pasi = self._pasi(p, visit, scr_pasi, rows).pasi_total  # no Day 1: the screening PASI
            measured_at = self.at(screening_date, 10, rng.randint(0, 60))
            self._vitals(p, visit, Timepoint.VISIT, measured_at, rows, weight=weight)
            self.forms.labs(p, rows, visits={"SCR": visit}, first_start=None)
            self.forms.medications(p, rows, last_day=min(self.last_day, screening_date + timedelta(days=10)))
            return
        self._enrolled(p, rows, latent, scr_pasi, weight, screening_date, planned_day1, signoff_at)
        self.forms.medications(p, rows, last_day=self.last_day)

    def _enrolled(self, p, rows, latent, scr_pasi, weight, screening_date, planned_day1, signoff_at) -> None:
        rng = self.rng
        p.subject_id = f"{self.next_subject:03d}"
        self.next_subject += 1
        p.usubjid = f"{self.study.study_id}-{p.site_id}-{p.subject_id}"
        p.enrolled_at = signoff_at + timedelta(minutes=30)
        p.status = ParticipantStatus.ENROLLED
        window = self.study.screening_window_days
        day1 = planned_day1 + timedelta(days=rng.randint(-2, 3))
        day1 = max(screening_date + timedelta(days=1), min(day1, screening_date + timedelta(days=window)))
        if day1 > self.last_day:
            day1 = None
        p.day1_date = day1
        stop_date, stop_kind = None, None
        if day1 is not None:
            roll = rng.random()
            if roll < 0.037:
                stop_kind = "death" if roll < 0.002 else "withdrawal"
                stop_date = day1 + timedelta(days=rng.randint(10, 84))
                if stop_date > self.last_day:
                    stop_date, stop_kind = None, None
        planned = schedule.plan_visits(
            self.rules, screening_date=screening_date, planned_day1=planned_day1, day1=day1,
            screening_window_days=window,
        )  # fmt: skip
        if stop_kind is not None:
            p.status = ParticipantStatus.WITHDRAWN
            p.withdrawal_date = stop_date
            p.withdrawal_reason = "Death" if stop_kind == "death" else rng.choice(WITHDRAWAL_REASONS)
        dosings: list[_Dosing] = []
        visits = {}
        for pv in planned:
            rule = next(r for r in self.rules if r.code == pv.code)
            actual, not_done, deviation = self._visit_outcome(pv, rule, screening_date, day1, stop_date, stop_kind)
            visit = self._visit(p, pv, actual=actual, rows=rows, not_done_reason=not_done, deviation_reason=deviation)
            visits[pv.code] = visit
            if actual is None:
                continue
            if rule.week is None:
                # The baseline until a W0 PASI on Day 1 replaces it (assessments.services.baseline_assessment).
                p.baseline_pasi = self._pasi(p, visit, scr_pasi, rows).pasi_total
                self._vitals(p, visit, Timepoint.VISIT, self.at(actual, 10, rng.randint(0, 60)), rows, weight=weight)
                continue
            fraction = rng.uniform(0.92, 1.08) if rule.week == 0 else self._remaining(latent, rule.week)
            assessment = self._pasi(p, visit, self._pasi_draw(latent, fraction), rows)
            if rule.week == 0:
                p.baseline_pasi = assessment.pasi_total
            visit_weight = _one_decimal(max(40.0, float(weight) + rng.gauss(0, 1.2)))
            if rule.dosing:
                start = self.at(actual, 9, rng.randint(0, 150))
                infusion = Infusion(participant=p, visit=visit, start_time=start, administered_by=self.user)
                dosings.append(_Dosing(visit, actual, start, rng.randint(30, 55), visit_weight, infusion))
            else:
                self._vitals(p, visit, Timepoint.VISIT, self.at(actual, 10, rng.randint(0, 60)), rows,
                             weight=visit_weight)  # fmt: skip
        self._adverse_events(p, rows, dosings, day1, stop_date, stop_kind)
        self._infusions(p, rows, dosings)
        given = [d.start for d in dosings if not d.dropped]
        self.forms.labs(p, rows, visits=visits, first_start=min(given) if given else None)
        if stop_kind is None and visits[planned[-1].code].actual_date is not None:
            p.status = ParticipantStatus.COMPLETED  # as subjects.services does when the last visit is done

    def _visit_outcome(self, pv, rule, screening_date, day1, stop_date, stop_kind):
        """(actual date, not-done reason, deviation reason) of a planned visit."""
        rng = self.rng
        if rule.week is None:
            return screening_date, "", ""
        if day1 is None:
            return None, "", ""
        if rule.week == 0:
            return day1, "", ""
        stopped = "Participant died" if stop_kind == "death" else "Participant withdrawn from the study"
        if stop_date is not None and pv.target_date > stop_date:
            return None, stopped, ""
        roll = rng.random()
        in_window = pv.target_date + timedelta(days=rng.choice((-2, -1, 0, 0, 0, 1, 1, 2)))
        if roll < 0.03:
            late = rng.random() < 0.7
            actual = pv.window_end + timedelta(days=rng.randint(1, 4)) if late else pv.window_start - timedelta(
                days=rng.randint(1, 3))  # fmt: skip
            if actual <= min(self.last_day, stop_date or self.last_day):
                return actual, "", rng.choice(VISIT_DEVIATIONS)
        elif roll < 0.055:
            return None, "", ""  # missed once the window closes
        elif roll < 0.08 and pv.window_start <= self.last_day:
            return None, rng.choice(NOT_DONE_REASONS), ""
        if stop_date is not None and in_window > stop_date:
            return None, stopped, ""
        return (in_window, "", "") if in_window <= self.last_day else (None, "", "")

    def _visit(self, p, pv, *, actual, rows, not_done_reason="", deviation_reason="") -> Visit:
        visit = Visit(
            participant=p,
            visit_code=pv.code,
            visitnum=pv.visitnum,
            target_date=pv.target_date,
            window_start=pv.window_start,
            window_end=pv.window_end,
            actual_date=actual,
            not_done_reason=not_done_reason,
            deviation_reason=deviation_reason,
        )
        visit.status = visit.state_on(self.today)
        rows.visits.append(visit)
        return visit

    # --- PASI -------------------------------------------------------------------------------

    def _latent(self, failure: str | None) -> _Latent:
        rng = self.rng
        if failure == "severity":  # mild: every area below 10 % and items at most 2, so PASI <= 6
            return _Latent({r: rng.uniform(1, 8) for r in pasi.REGIONS}, rng.uniform(0.8, 1.8), 2, 0.0)
        response = rng.choices(
            (rng.uniform(0.75, 1.0), rng.uniform(0.45, 0.75), rng.uniform(0.1, 0.45), rng.uniform(-0.25, 0.1)),
            weights=(35, 30, 25, 10),
        )[0]
        area = {region: rng.uniform(*REGION_AREA_RANGE[region]) for region in pasi.REGIONS}
        return _Latent(area, rng.uniform(1.8, 3.6), pasi.ITEM_MAX, response)

    def _remaining(self, latent: _Latent, week: int) -> float:
        """Share of the baseline disease left at `week`: improving towards week 10, then stable."""
        return max(0.0, 1 - latent.response * min(1.0, week / 10) + self.rng.gauss(0, 0.05))

    def _pasi_draw(self, latent: _Latent, fraction: float) -> dict:
        rng = self.rng
        values: dict = {}
        regions = {}
        bsa = Decimal(0)
        for region in pasi.REGIONS:
            raw = latent.area[region] * fraction * rng.uniform(0.85, 1.15)
            area = Decimal(0) if raw < 0.5 else _one_decimal(min(100.0, raw))
            score = pasi.area_score(area)
            level = latent.item_level * (0.4 + 0.6 * min(fraction, 1.2))
            items = [
                0 if score == 0 else max(1, min(latent.item_cap, round(level + rng.gauss(0, 0.45)))) for _ in pasi.ITEMS
            ]
            regions[region] = pasi.RegionScores(*items, area_score=score)
            for item, value in zip(pasi.ITEMS, items, strict=True):
                values[f"{region}_{item}"] = value
            values[f"{region}_area_percent"] = area
            values[f"{region}_area_score"] = score
            bsa += BODY_SURFACE_SHARE[region] * area
        values["pasi_total"] = pasi.pasi_total(regions)
        values["bsa_percent"] = bsa.quantize(Decimal("0.1"))
        return values

    def _pasi(self, p, visit, values: dict, rows) -> PasiAssessment:
        assessment = PasiAssessment(
            participant=p, visit=visit, assessment_date=visit.actual_date, assessor=self.user, **values
        )
        rows.pasi_assessments.append(assessment)
        return assessment

    # --- vital signs and infusions --------------------------------------------------------

    def _vitals(self, p, visit, timepoint, measured_at, rows, *, weight=None, infusion=None, minutes=None) -> None:
        rng = self.rng
        systolic = rng.randint(100, 150)
        fever = 0.3 if timepoint == Timepoint.POST_INFUSION and rng.random() < 0.1 else 0.0
        rows.vital_signs.append(
            VitalSigns(
                participant=p,
                visit=visit,
                infusion=infusion,
                timepoint=timepoint,
                minutes_after_start=minutes,
                measured_at=measured_at,
                weight_kg=weight,
                systolic_bp=systolic,
                diastolic_bp=rng.randint(55, min(95, systolic - 25)),
                heart_rate=rng.randint(58, 100),
                temperature_c=_one_decimal(rng.uniform(36.2, 37.3) + fever),
                respiratory_rate=rng.randint(12, 20),
                spo2_percent=rng.randint(95, 100),
            )
        )

    def _infusions(self, p, rows, dosings: list[_Dosing]) -> None:
        rng = self.rng
        study = self.study
        number = 0
        interval = study.vitals_interval_minutes
        for d in dosings:
            if d.dropped or number >= study.max_infusions:
                self._vitals(p, d.visit, Timepoint.VISIT, d.start, rows, weight=d.weight_kg)
                continue
            number += 1
            planned = dose.planned_cells(d.weight_kg, study.dose_per_kg_cells)
            if rng.random() < 0.04:
                permille = rng.choice((-1, 1)) * rng.randint(120, 250)
            else:
                permille = rng.randint(-60, 60)
            administered = (planned * (1000 + permille) // 1000 + 50_000) // 100_000 * 100_000
            deviation = dose.is_dose_deviation(planned, administered, study.dose_tolerance_percent)
            whole = rng.random() > 0.03
            volume = Decimal("100.0")
            interrupted = rng.random() < 0.02
            self.lot += 1
            infusion = d.infusion
            infusion.infusion_number = number
            infusion.weight_kg_used = d.weight_kg
            infusion.dose_per_kg = study.dose_per_kg_cells
            infusion.planned_cells = planned
            infusion.administered_cells = administered
            infusion.dose_deviation = deviation
            infusion.deviation_reason = rng.choice(DOSE_DEVIATIONS) if deviation else ""
            infusion.product_lot = f"UC{d.day:%y}-{self.lot:05d}"
            infusion.viability_percent = _one_decimal(rng.uniform(85, 98))
            infusion.thaw_time = d.start - timedelta(minutes=rng.randint(20, 45))
            infusion.end_time = d.start + timedelta(minutes=d.minutes)
            infusion.volume_ml = volume
            infusion.whole_volume_given = whole
            infusion.volume_given_ml = None if whole else volume - rng.randint(5, 30)
            infusion.interrupted = interrupted
            infusion.interruption_reason = "Infusion paused for mild chills, then completed" if interrupted else ""
            rows.infusions.append(infusion)
            pre = d.start - timedelta(minutes=rng.randint(10, 25))
            self._vitals(p, d.visit, Timepoint.PRE_INFUSION, pre, rows, weight=d.weight_kg, infusion=infusion)
            for minute in range(interval, d.minutes, interval):
                self._vitals(p, d.visit, Timepoint.DURING_INFUSION, d.start + timedelta(minutes=minute), rows,
                             infusion=infusion, minutes=minute)  # fmt: skip
            post = infusion.end_time + timedelta(minutes=30)
            self._vitals(p, d.visit, Timepoint.POST_INFUSION, post, rows, infusion=infusion)

    # --- adverse events and safety holds ----------------------------------------------------

    def _adverse_events(self, p, rows, dosings: list[_Dosing], day1, stop_date, stop_kind) -> None:
        if day1 is None:
            return
        rng = self.rng
        last = min(self.last_day, stop_date or self.last_day, day1 + timedelta(days=100))
        drafts = []
        for _ in range(rng.choices((0, 1, 2, 3, 4, 5), weights=(38, 28, 18, 9, 5, 2))[0]):
            drafts.append(self._ae_draft(p, dosings, day1, last))
        if stop_kind == "death":
            onset = max(day1, stop_date - timedelta(days=rng.randint(0, 4)))
            drafts.append(dict(term=rng.choice(FATAL_TERMS), onset_date=onset, grade=5, infusion=None,
                               relationship=Relationship.UNLIKELY, expected=False, end_date=stop_date))  # fmt: skip
        # Infusion reactions last within a day: a hold placed earlier that day cancels their infusion.
        drafts.sort(key=lambda draft: (draft["onset_date"], draft["infusion"] is not None, draft["grade"]))
        number = 0
        for draft in drafts:
            dosing = draft.pop("dosing", None)
            if dosing is not None and dosing.dropped:
                continue  # its infusion never happened: the participant was on hold
            number += 1
            ae = self._ae(p, number, draft, day1, dosings, stop_date)
            rows.adverse_events.append(ae)
            if safety_rules.triggers_safety_hold(
                grade=ae.grade, serious=ae.serious, relationship=ae.relationship,
                hold_min_grade=self.study.hold_min_grade,
                treatment_emergent=safety_rules.is_treatment_emergent(ae.onset_date, day1),
            ):  # fmt: skip
                self._hold(p, ae, rows, dosings)

    def _ae_draft(self, p, dosings, day1, last) -> dict:
        rng = self.rng
        terms = [t for t in AE_TERMS if dosings or not t[2]]
        term, _, infusion_reaction, expected = rng.choices(terms, weights=[t[1] for t in terms])[0]
        grade = rng.choices((1, 2, 3, 4), weights=(640, 270, 75, 15))[0]
        dosing = None
        if infusion_reaction:
            grade = min(grade, 3)
            dosing = rng.choice(dosings)
            onset = dosing.day
            relationship = rng.choices(
                (Relationship.POSSIBLE, Relationship.PROBABLE, Relationship.DEFINITE), weights=(40, 40, 20)
            )[0]
        elif rng.random() < 0.05 and p.consent_date < day1:
            onset = p.consent_date + timedelta(days=rng.randint(0, (day1 - p.consent_date).days - 1))
            relationship = Relationship.NOT_RELATED  # before the first infusion
        else:
            onset = day1 + timedelta(days=rng.randint(0, max(0, (last - day1).days)))
            weights = (60, 30, 8, 2) if grade >= 3 else (50, 30, 15, 5)
            relationship = rng.choices(
                (Relationship.NOT_RELATED, Relationship.UNLIKELY, Relationship.POSSIBLE, Relationship.PROBABLE),
                weights=weights,
            )[0]
        if grade == 4:
            term, expected = rng.choice(SEVERE_TERMS), False
        duration = rng.randint(1, 7) * grade
        return dict(term=term, onset_date=onset, grade=grade, infusion=dosing.infusion if dosing else None,
                    dosing=dosing, relationship=relationship, expected=expected,
                    end_date=onset + timedelta(days=duration))  # fmt: skip

    def _ae(self, p, number: int, draft: dict, day1: date, dosings, stop_date) -> AdverseEvent:
        rng = self.rng
        grade, onset = draft["grade"], draft["onset_date"]
        criteria = dict.fromkeys(safety_rules.SERIOUS_CRITERIA_FIELDS, False)
        if grade == 5:
            criteria["death"] = True
        elif grade == 4:
            criteria["life_threatening"] = True
            criteria["hospitalization"] = rng.random() < 0.5
        elif grade == 3 and rng.random() < 0.4:
            criteria["hospitalization"] = True
        elif rng.random() < 0.01:
            criteria["important_medical_event"] = True
        serious = any(criteria.values())
        end_date = draft["end_date"]
        if grade == 5:
            outcome = Outcome.FATAL
        elif stop_date is None and end_date > self.last_day:
            end_date, outcome = None, rng.choice((Outcome.RECOVERING, Outcome.RECOVERING, Outcome.NOT_RECOVERED))
        else:
            end_date = min(end_date, self.last_day, stop_date or self.last_day)
            sequelae = rng.random() < (0.1 if grade >= 3 else 0.01)
            outcome = Outcome.RECOVERED_WITH_SEQUELAE if sequelae else Outcome.RECOVERED
        last_dosing = max((d.day for d in dosings if not d.dropped), default=None)
        if last_dosing is None or onset > last_dosing + timedelta(days=14) or onset < day1:
            action = ActionTaken.NOT_APPLICABLE
        elif serious and draft["relationship"] in safety_rules.RELATED:
            action = ActionTaken.DRUG_INTERRUPTED
        else:
            action = ActionTaken.DOSE_NOT_CHANGED
        awareness = reported = None
        if serious and draft["infusion"] is not None:
            awareness = draft["infusion"].start_time + timedelta(minutes=rng.randint(60, 240))
        elif serious:
            awareness = self.at(min(onset + timedelta(days=rng.randint(0, 1)), self.last_day), 9, rng.randint(0, 480))
        if serious:
            hours = rng.uniform(1, 20) if rng.random() < 0.93 else rng.uniform(26, 70)
            reported = awareness + timedelta(hours=hours)
            if reported > timezone.now():
                reported = None
        return AdverseEvent(
            participant=p,
            ae_number=number,
            term=draft["term"],
            onset_date=onset,
            end_date=end_date,
            ongoing=end_date is None,
            grade=grade,
            serious=serious,
            **criteria,
            relationship=draft["relationship"],
            expected=draft["expected"],
            action_taken=action,
            outcome=outcome,
            infusion_reaction=draft["infusion"] is not None,
            infusion=draft["infusion"],
            awareness_time=awareness,
            reported_to_sponsor_at=reported,
            causality_assessed_by=self.user,
            causality_assessed_at=self.at(min(onset + timedelta(days=1), self.last_day), 18),
        )

    def _hold(self, p, ae: AdverseEvent, rows, dosings: list[_Dosing]) -> None:
        rng = self.rng
        placed = ae.awareness_time or self.at(ae.onset_date, 19)
        if ae.infusion is not None:  # a reaction is noticed after its infusion started
            placed = max(placed, ae.infusion.start_time + timedelta(hours=3))
        released = placed + timedelta(days=rng.randint(7, 21))
        if released > timezone.now() - timedelta(days=1):
            released = None
        seriousness = "serious, " if ae.serious else ""
        reason = (
            f"AE {ae.ae_number} ({ae.term}): {seriousness}grade {ae.grade}, "
            f"relationship to UCMSCs {Relationship(ae.relationship).label.lower()}"
        )
        rows.safety_holds.append(
            SafetyHold(
                participant=p,
                adverse_event=ae,
                placed_at=placed,
                reason=reason,
                released_at=released,
                released_by=self.user if released else None,
                release_reason="DMC review found no safety concern; dosing may resume" if released else "",
            )
        )
        for d in dosings:  # no infusion while on hold
            if d.start > placed and (released is None or d.start < released):
                d.dropped = True
        if released is None and not p.on_safety_hold:
            p.on_safety_hold = True
            p.safety_hold_reason = reason
            p.safety_hold_since = placed


def _history_rows(model, objs, *, user, reason: str, now: datetime) -> list:
    """Unsaved "+" history rows of saved `objs`, in their places at the end of the audit chain."""
    history_model = model.history.model
    rows = [
        history_model(
            history_date=now,
            history_user_id=user.pk,
            history_change_reason=reason,
            history_type="+",
            **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
        )
        for obj in objs
    ]
    chain.append(rows)
    return rows


def _copy_with_history(model, objs, *, user, reason: str, now: datetime, batch_size: int) -> None:
    """PostgreSQL: the rows and their "+" history rows through COPY, batch by batch.

    Django's bulk_create spends most of its time compiling parameters; COPY with ids reserved
    from the table's sequence makes 10 000 participants a matter of seconds of database time.
    """
    table = model._meta.db_table
    history_model = model.history.model
    fields_ = model._meta.concrete_fields
    tracked = [f.column for f in history_model.tracked_fields]
    history_columns = [
        *tracked, "history_date", "history_change_reason", "history_type", "history_user_id", *chain.CHAIN_COLUMNS
    ]  # fmt: skip
    history_extra = [_copy_text(now), _copy_text(reason), "+", _copy_text(user.pk)]
    positions = {f.attname: index for index, f in enumerate(fields_)}
    tracked_positions = [positions[f.attname] for f in history_model.tracked_fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(batch)]
            )
            rows, history_rows = io.StringIO(), io.StringIO()
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                obj.pk = pk
                obj.created_at = obj.updated_at = now
                obj._state.adding, obj._state.db = False, connection.alias
            links = _history_rows(model, batch, user=user, reason=reason, now=now)
            for obj, link in zip(batch, links, strict=True):
                values = [_copy_text(getattr(obj, f.attname)) for f in fields_]
                rows.write("\t".join(values) + "\n")
                chained = [_copy_text(getattr(link, column)) for column in chain.CHAIN_COLUMNS]
                history_rows.write("\t".join([values[i] for i in tracked_positions] + history_extra + chained) + "\n")
            for target, columns, buffer in (
                (table, [f.column for f in fields_], rows),
                (history_model._meta.db_table, history_columns, history_rows),
            ):
                buffer.seek(0)
                column_list = ", ".join(f'"{column}"' for column in columns)
                cursor.copy_expert(f'COPY "{target}" ({column_list}) FROM STDIN', buffer)


def _copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, date):  # datetimes too: ISO 8601 with the UTC offset
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    elif not isinstance(value, str):
        return str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _one_decimal(value: float) -> Decimal:
    return Decimal(f"{value:.1f}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
