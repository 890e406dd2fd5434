"""The synthetic study's laboratory panels, medications, medical history and protocol deviations.

Drawn from their own `random.Random` (seeded from the study's seed) so that adding these forms left
the rest of the synthetic study as it was. Only raw observations are drawn here; flags, grades and
baselines come from `labs.services.derive`, prior/concomitant and prohibited from the medication
model's `derive`, deviations from `deviations.services.derived_from`.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from deviations.models import ProtocolDeviation
from deviations.services import derived_from
from labs import catalogue
from labs.models import FirstInfusion, LabPanel, LabResult
from labs.services import SCHEDULED_VISITS, derive, normal_range_rules
from medications.models import ConcomitantMedication, MedicalHistory

# (test, typical value in the standard unit, relative spread)
TYPICAL = {
    "HGB": (Decimal("140"), 0.08), "WBC": (Decimal("6.5"), 0.2), "NEUT": (Decimal("3.8"), 0.25),
    "LYM": (Decimal("2.0"), 0.25), "PLAT": (Decimal("240"), 0.2), "ALT": (Decimal("24"), 0.35),
    "AST": (Decimal("22"), 0.3), "BILI": (Decimal("10"), 0.35), "CREAT": (Decimal("70"), 0.15),
}  # fmt: skip
MEDICATIONS = (  # (name, class, indication, dose, unit, frequency, route)
    ("Paracetamol", "other", "Headache", "500", "mg", "PRN", "ORAL"),
    ("Loratadine", "other", "Pruritus", "10", "mg", "QD", "ORAL"),
    ("Amlodipine", "other", "Hypertension", "5", "mg", "QD", "ORAL"),
    ("Calcipotriol ointment", "other", "Psoriasis", None, "", "BID", "TOPICAL"),
    ("Prednisone", "prednisone", "Asthma exacerbation", "10", "mg", "QD", "ORAL"),
    ("Methotrexate", "methotrexate", "Psoriasis flare", "15", "mg", "QS", "ORAL"),
)
PRIOR_THERAPIES = (("Topical corticosteroids", "topical"), ("NB-UVB", "phototherapy"),
                   ("Methotrexate", "conventional_systemic"), ("Adalimumab", "biologic"))  # fmt: skip


class FormsBuilder:
    def __init__(self, *, seed: int, study, today: date, at):
        self.rng = random.Random(seed * 1009 + 26)
        self.study = study
        self.today = today
        self.at = at  # (day, hour, minute) -> site datetime
        self.ranges = normal_range_rules()

    def history(self, p, rows, *, planned_day1: date, recent_systemic: bool, prior_stem_cell: bool) -> None:
        rng = self.rng
        diagnosed = str(planned_day1.year - rng.randint(2, 25))
        rows.medical_history.append(
            MedicalHistory(
                participant=p,
                category="psoriasis",
                term="Psoriasis vulgaris",
                psoriasis_type="plaque",
                start_date=diagnosed,
                ongoing=True,
            )
        )
        for term, kind in PRIOR_THERAPIES:
            if rng.random() < (0.8 if kind == "topical" else 0.3):
                last = planned_day1 - timedelta(days=rng.randint(120, 900))
                rows.medical_history.append(MedicalHistory(
                    participant=p, category="prior_psoriasis_therapy", term=term, therapy_type=kind,
                    start_date=str(last.year - 1), end_date=last.strftime("%Y-%m"),
                ))  # fmt: skip
        if recent_systemic:
            last = planned_day1 - timedelta(days=rng.randint(10, 60))
            rows.medical_history.append(MedicalHistory(
                participant=p, category="prior_psoriasis_therapy", term="Secukinumab", therapy_type="biologic",
                start_date=str(last.year), end_date=last.isoformat(),
            ))  # fmt: skip
        if prior_stem_cell:
            rows.medical_history.append(MedicalHistory(
                participant=p, category="prior_psoriasis_therapy", term="Stem-cell infusion", therapy_type="stem_cell",
                start_date="2016", end_date="2016",
            ))  # fmt: skip
        if rng.random() < 0.3:
            rows.medical_history.append(
                MedicalHistory(
                    participant=p, category="other_condition", term="Hypertension", start_date=diagnosed, ongoing=True
                )
            )

    def medications(self, p, rows, *, last_day: date) -> None:
        rng = self.rng
        for _ in range(rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]):
            name, key, indication, dose, unit, frequency, route = rng.choices(
                MEDICATIONS, weights=(30, 20, 20, 20, 6, 4)
            )[0]
            start = p.consent_date + timedelta(days=rng.randint(-25, 90))
            if start > last_day:
                continue
            before = rng.random() < 0.15
            ongoing = rng.random() < 0.4
            end = min(last_day, start + timedelta(days=rng.randint(1, 40)))
            medication = ConcomitantMedication(
                participant=p, medication=name, medication_class=key, indication=indication,
                dose=Decimal(dose) if dose else None, dose_unit=unit, frequency=frequency, route=route,
                start_date="" if before else (start.strftime("%Y-%m") if rng.random() < 0.1 else start.isoformat()),
                end_date="" if ongoing else end.isoformat(), ongoing=ongoing,
            )  # fmt: skip
            medication.derive()
            rows.medications.append(medication)

    def labs(self, p, rows, *, visits: dict, first_start: datetime | None) -> None:
        rng = self.rng
        if first_start is not None:
            rows.first_infusions.append(FirstInfusion(participant=p, start_time=first_start))
        for code in SCHEDULED_VISITS:
            visit = visits.get(code)
            if visit is None or visit.actual_date is None or rng.random() < 0.05:
                continue
            hour = 7 if code == "W0" else 8
            panel = LabPanel(participant=p, visit=visit, visit_code=code,
                             collected_at=self.at(visit.actual_date, hour, rng.randint(0, 50)))  # fmt: skip
            rows.lab_panels.append(panel)
            for test in catalogue.LAB_TESTS:
                result = LabResult(participant=p, panel=panel, test_code=test.code)
                if rng.random() < 0.01:
                    result.not_done_reason = "Sample haemolysed"
                else:
                    typical, spread = TYPICAL[test.code]
                    factor = rng.gauss(1, spread)
                    if code not in ("SCR", "W0") and test.code in ("ALT", "AST") and rng.random() < 0.04:
                        factor = rng.uniform(3, 7)  # a transaminase rise after dosing
                    value = max(Decimal("0.1"), (typical * Decimal(str(round(factor, 3)))).quantize(Decimal("0.1")))
                    unit = test.standard_unit
                    if test.code in ("CREAT", "BILI") and rng.random() < 0.2:
                        unit = "mg/dL"
                        value = catalogue.from_standard(test.code, value, unit, places=2)
                    result.value, result.unit = value, unit
                rows.lab_results.append(result)

    def derive_labs(self, rows, participants) -> None:
        """Derive the chunk's results in memory (bulk inserts skip the services), participant by participant."""
        by_participant: dict[int, list] = {}
        for result in rows.lab_results:
            by_participant.setdefault(id(result.participant), []).append(result)
        first = {id(f.participant): f.start_time for f in rows.first_infusions}
        for p in participants:
            results = by_participant.get(id(p), [])
            if results:
                derive(results, participant=p, first_start=first.get(id(p)), range_rules=self.ranges,
                       study=self.study)  # fmt: skip
                for result in results:
                    if result.out_of_range and self.rng.random() < 0.15:
                        result.clinically_significant = result.ctcae_grade is not None and result.ctcae_grade >= 2

    def deviations(self, rows, dosing_codes) -> list[ProtocolDeviation]:
        """Derived deviations of the chunk's participants, once their records have primary keys."""
        grouped: dict[int, dict[str, list]] = {}
        for name in ("visits", "infusions", "medications"):
            for obj in getattr(rows, name):
                grouped.setdefault(obj.participant_id, {"visits": [], "infusions": [], "medications": []})[name].append(
                    obj
                )
        out = []
        for p in rows.participants:
            records = grouped.get(p.pk)
            if records is None or p.day1_date is None and not records["medications"]:
                continue
            for item in derived_from(p, dosing_codes=dosing_codes, **records):
                out.append(ProtocolDeviation(
                    participant=p, category=item.category, description=item.description,
                    deviation_date=item.deviation_date, source=item.source, source_key=item.key,
                ))  # fmt: skip
        return out
