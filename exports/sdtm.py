"""CDISC SDTM-style datasets (DM, IE, SV, VS, EX, RS, AE) as CSV.

Conventions (documented in the README):
- STUDYID from the study configuration (S2018-11); USUBJID is the participant's `usubjid`
  (S2018-11-01-001), or S2018-11-<site>-SCR-nnn for people never enrolled (screen failures,
  still screening), so IE and DM can name them; SUBJID likewise falls back to the screening number.
- --DTC are ISO 8601: dates `YYYY-MM-DD`, date-times `YYYY-MM-DDTHH:MM` in the site time zone.
- --DY: SDTM study day against Day 1 (participant.day1_date), no day 0 (subjects.schedule.study_day).
- VISITNUM/VISIT are the visit's `visitnum` and `visit_code` (SCR=0, W0=1 ... W12=6).
- DM ARMCD/ARM: UCMSC for enrolled/completed/withdrawn, SCRNFAIL "Screen Failure", NOTASSGN "Not Assigned".
- AEENRF is `ONGOING` for an ongoing AE (CRF mapping); AETRTEM flags treatment-emergent AEs;
  EXDOSDEV flags a dose deviation (EXADJ carries its reason).
- AETRTEM is derived, never stored (safety.rules.is_treatment_emergent): 'Y' when the AE's onset is on
  or after the participant's Day 1, so it follows Day 1 when Day 1 changes.
- Safety variant (EXPORT_SAFETY, e.g. the DMC): enrolled participants only (subject IDs, never screening
  numbers), DM without BRTHDTC. IE, SV, VS and RS need EXPORT.

On PostgreSQL a dataset is its statement in `exports.sdtm_sql`, streamed by COPY. Elsewhere (SQLite,
in development) the same rows come from the ORM through the rule modules (the `_rows` functions
below); a test requires both to give byte-identical CSV on PostgreSQL.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Collate, Concat

from assessments.models import PasiAssessment
from dosing.models import Infusion, Timepoint, VitalSigns
from exports import sdtm_sql, streaming
from safety import rules as safety_rules
from safety.models import ActionTaken, AdverseEvent, Outcome, Relationship
from subjects import eligibility, schedule
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit

TREATMENT = "UCMSC"
FETCH_ROWS = 100  # records read at a time on the Python path: its memory, whatever the number of rows
DOSE_UNIT = "10^6 cells"

VS_TESTS = (  # (VSTESTCD, VSTEST, model field, unit)
    ("WEIGHT", "Weight", "weight_kg", "kg"),
    ("SYSBP", "Systolic Blood Pressure", "systolic_bp", "mmHg"),
    ("DIABP", "Diastolic Blood Pressure", "diastolic_bp", "mmHg"),
    ("PULSE", "Pulse Rate", "heart_rate", "beats/min"),
    ("TEMP", "Temperature", "temperature_c", "C"),
    ("RESP", "Respiratory Rate", "respiratory_rate", "breaths/min"),
    ("OXYSAT", "Oxygen Saturation", "spo2_percent", "%"),
)
VS_TIMEPOINTS = {  # timepoint -> (VSTPT, VSTPTNUM)
    Timepoint.PRE_INFUSION: ("PRE-INFUSION", 1),
    Timepoint.DURING_INFUSION: ("DURING INFUSION", 2),
    Timepoint.POST_INFUSION: ("POST-INFUSION", 3),
}

PASI_REGIONS = (  # (field prefix, RSTESTCD prefix, label)
    ("head", "HEAD", "Head and Neck"),
    ("upper_limbs", "UPLB", "Upper Limbs"),
    ("trunk", "TRNK", "Trunk"),
    ("lower_limbs", "LOLB", "Lower Limbs"),
)
PASI_ITEMS = (  # (field suffix, RSTESTCD suffix, label, unit)
    ("erythema", "ERY", "Erythema", None),
    ("induration", "IND", "Induration", None),
    ("desquamation", "DESQ", "Desquamation", None),
    ("area_percent", "PCT", "Area Involved", "%"),
    ("area_score", "AREA", "Area Score", None),
)
RS_TESTS = (  # (RSTESTCD, RSTEST, model field, unit): every PASI item, then PASITOT
    *(
        (code + suffix, f"{label} {item_label}", f"{region}_{item}", unit)
        for region, code, label in PASI_REGIONS
        for item, suffix, item_label, unit in PASI_ITEMS
    ),
    ("PASITOT", "PASI Total Score", "pasi_total", None),
)


def _ie_tests() -> dict[str, tuple[str, str, str]]:
    """criterion -> (IETESTCD, IECAT, IEORRES): inclusion not met 'N', exclusion met 'Y', unanswered 'U'."""
    tests = {
        eligibility.INCLUSION_SEVERITY: ("INCL01", "INCLUSION", "N"),
        eligibility.SCREENING_PASI_MISSING: ("INCL01PM", "INCLUSION", "N"),
        eligibility.INCLUSION_AGE: ("INCL02", "INCLUSION", "N"),
        eligibility.INCLUSION_CONSENT: ("INCL03", "INCLUSION", "N"),
    }
    for n, key in enumerate(eligibility.EXCLUSION_KEYS, start=1):
        tests[eligibility.exclusion_criterion(key)] = (f"EXCL{n:02d}", "EXCLUSION", "Y")
        tests[eligibility.exclusion_unanswered_criterion(key)] = (f"EXCL{n:02d}U", "EXCLUSION", "U")
    return tests


IE_TESTS = _ie_tests()


def ie_test(criterion: str) -> tuple[str, str, str | None, str | None]:
    """(IETESTCD, IETEST, IECAT, IEORRES) of a failed criterion; one we do not know is named by its key."""
    if criterion not in IE_TESTS:
        return criterion[:8].upper(), criterion, None, None
    code, category, result = IE_TESTS[criterion]
    return code, eligibility.CRITERION_LABELS.get(criterion, criterion)[:200], category, result


def cdisc_terms(choices) -> dict[str, str]:
    """{stored value: CDISC term} of a choice field (AEREL, AEACN, AEOUT): its label in capitals."""
    return {value: label.upper() for value, label in choices.choices}


def millions(cells: int | None) -> str | None:
    """A count of cells in units of 10^6, exactly (126500000 -> '126.5', 2000000 -> '2')."""
    return None if cells is None else str(Decimal(cells) / 1_000_000)


def iso_date(on: date | None) -> str | None:
    return None if on is None else on.isoformat()


def blank_as_missing(text: str | None) -> str | None:
    return text or None


def yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("Y" if flag else "N")


def study_day(on: date | None, day1: date | None) -> int | None:
    return None if on is None else schedule.study_day(on, day1)


def _text(value) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Dataset:
    """A dataset: its columns, its PostgreSQL statement (with its parameters) and the same rows built
    in Python (`rows(study)`, a tuple per row in the order of `columns`). The safety variant of a
    dataset in SAFETY_DOMAINS is its statement with `%(safety)s` true and `rows(study, safety=True)`."""

    columns: tuple[str, ...]
    sql: str
    rows: Callable[..., Iterator[tuple]]
    params: dict = field(default_factory=dict)

    def csv(self, *, safety: bool = False) -> Iterator[bytes]:
        """The dataset as CSV bytes (header, then a line per row); the safety variant has enrolled
        participants only, and DM's lacks BRTHDTC."""
        columns = tuple(name for name in self.columns if not (safety and name in SAFETY_HIDDEN))
        if connection.vendor == "postgresql":
            return streaming.copy_csv(self.statement(columns), {**self.params, "safety": safety})
        return streaming.rows_csv(columns, self.python_rows(columns, safety=safety))

    def statement(self, columns: tuple[str, ...]) -> str:
        if columns == self.columns:
            return self.sql
        selected = ", ".join(f'"{name}"' for name in columns)
        return f"SELECT {selected} FROM ({self.sql}) AS dataset"

    def python_rows(self, columns: tuple[str, ...], *, safety: bool = False) -> Iterator[tuple]:
        study = Study.current()
        kept = [self.columns.index(name) for name in columns]
        for row in self.rows(study, safety=True) if safety else self.rows(study):
            yield tuple(row[i] for i in kept)


SAFETY_HIDDEN = frozenset({"BRTHDTC"})


# -- the rows in Python (SQLite) --------------------------------------------------------------


def _participant_order(prefix: str = "") -> Collate | Coalesce:
    """USUBJID, then the screening number of people never enrolled, compared byte by byte."""
    key = Coalesce(f"{prefix}usubjid", Concat(Value("~"), f"{prefix}screening_number"))
    return Collate(key, "C") if connection.vendor == "postgresql" else key  # SQLite compares bytes


def _enrolled_only(records, safety: bool, prefix: str = ""):
    """The safety variant (DMC reviewers: pseudonymised) names people by subject ID only: people never
    enrolled, whose USUBJID would carry their screening number, are left out."""
    return records.filter(**{f"{prefix}subject_id__isnull": False}) if safety else records


def _usubjid(study: Study, participant: Participant) -> str:
    return participant.usubjid or f"{study.study_id}-{participant.site_id}-{participant.screening_number}"


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)


def _minute(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M")


def dm_rows(study: Study, *, safety: bool = False) -> Iterator[tuple]:
    arm = f"{TREATMENT} {millions(study.dose_per_kg_cells)} x 10^6 cells/kg IV"
    arms = {
        ParticipantStatus.SCREEN_FAILED: ("SCRNFAIL", "Screen Failure"),
        ParticipantStatus.SCREENING: ("NOTASSGN", "Not Assigned"),
    }
    participants = _enrolled_only(Participant.objects, safety).annotate(screened=F("screening__screening_date"))
    participants = participants.order_by(_participant_order())
    for p in participants.iterator(chunk_size=FETCH_ROWS):
        age = None if p.screened is None else eligibility.age_in_completed_years(p.date_of_birth, p.screened)
        armcd, arm_name = arms.get(p.status, (TREATMENT, arm))
        yield (
            study.study_id, "DM", _usubjid(study, p), blank_as_missing(p.subject_id) or p.screening_number,
            iso_date(p.day1_date), iso_date(p.consent_date), blank_as_missing(p.site_id), iso_date(p.date_of_birth),
            age, None if age is None else "YEARS", blank_as_missing(p.sex), armcd, arm_name,
        )  # fmt: skip


def ie_rows(study: Study) -> Iterator[tuple]:
    scr = Visit.objects.filter(participant=OuterRef("participant"), visit_code="SCR")
    screenings = (
        Screening.objects.select_related("participant")
        .annotate(scr_visitnum=Subquery(scr.values("visitnum")[:1]), scr_code=Subquery(scr.values("visit_code")[:1]))
        .order_by(_participant_order("participant__"))
    )
    for s in screenings.iterator(chunk_size=FETCH_ROWS):
        p = s.participant
        for n, criterion in enumerate(s.failed_criteria or [], start=1):
            code, test, category, result = ie_test(criterion)
            yield (
                study.study_id, "IE", _usubjid(study, p), n, code, test, category, result, result,
                s.scr_visitnum, s.scr_code, iso_date(s.screening_date), study_day(s.screening_date, p.day1_date),
            )  # fmt: skip


def sv_rows(study: Study) -> Iterator[tuple]:
    visits = (
        Visit.objects.filter(actual_date__isnull=False)
        .select_related("participant")
        .order_by(_participant_order("participant__"), "visitnum")
    )
    for v in visits.iterator(chunk_size=FETCH_ROWS):
        day = study_day(v.actual_date, v.participant.day1_date)
        on = iso_date(v.actual_date)
        yield study.study_id, "SV", _usubjid(study, v.participant), v.visitnum, v.visit_code, on, on, day, day


def vs_rows(study: Study) -> Iterator[tuple]:
    zone = ZoneInfo(study.time_zone)
    records = VitalSigns.objects.select_related("participant", "visit").order_by(
        _participant_order("participant__"), "measured_at", "id"
    )
    participant, seq = None, 0
    for x in records.iterator(chunk_size=FETCH_ROWS):
        if x.participant_id != participant:
            participant, seq = x.participant_id, 0
        local = _local(x.measured_at, zone)
        tpt, tptnum = VS_TIMEPOINTS.get(x.timepoint, (None, None))
        during = x.timepoint == Timepoint.DURING_INFUSION and x.minutes_after_start is not None
        record = (
            tpt, tptnum, f"PT{x.minutes_after_start}M" if during else None,
            None if x.timepoint == Timepoint.VISIT else "INFUSION START", x.visit.visitnum, x.visit.visit_code,
            _minute(local), study_day(local and local.date(), x.participant.day1_date),
        )  # fmt: skip
        usubjid = _usubjid(study, x.participant)
        for code, test, name, unit in VS_TESTS:
            value = _text(getattr(x, name))
            if value is not None:
                seq += 1
                yield study.study_id, "VS", usubjid, seq, code, test, value, unit, value, value, unit, *record


def ex_rows(study: Study, *, safety: bool = False) -> Iterator[tuple]:
    zone = ZoneInfo(study.time_zone)
    infusions = _enrolled_only(Infusion.objects, safety, "participant__").select_related("participant", "visit")
    infusions = infusions.order_by(_participant_order("participant__"), "infusion_number")
    for i in infusions.iterator(chunk_size=FETCH_ROWS):
        start, end = _local(i.start_time, zone), _local(i.end_time, zone)
        day1 = i.participant.day1_date
        yield (
            study.study_id, "EX", _usubjid(study, i.participant), i.infusion_number, TREATMENT,
            millions(i.administered_cells), DOSE_UNIT, "SUSPENSION", blank_as_missing(i.route),
            blank_as_missing(i.product_lot), i.visit.visitnum, i.visit.visit_code, _minute(start), _minute(end),
            study_day(start and start.date(), day1), study_day(end and end.date(), day1), yes_no(i.dose_deviation),
            blank_as_missing(i.deviation_reason),
        )  # fmt: skip


def rs_rows(study: Study) -> Iterator[tuple]:
    assessments = PasiAssessment.objects.select_related("participant", "visit").order_by(
        _participant_order("participant__"), "visit__visitnum", "id"
    )
    participant, seq = None, 0
    for a in assessments.iterator(chunk_size=FETCH_ROWS):
        if a.participant_id != participant:
            participant, seq = a.participant_id, 0
        record = (
            a.visit.visitnum, a.visit.visit_code, iso_date(a.assessment_date),
            study_day(a.assessment_date, a.participant.day1_date),
        )  # fmt: skip
        usubjid = _usubjid(study, a.participant)
        for code, test, name, unit in RS_TESTS:
            value = _text(getattr(a, name))
            if value is not None:
                seq += 1
                yield study.study_id, "RS", usubjid, seq, code, test, "PASI", value, unit, value, value, *record


def ae_rows(study: Study, *, safety: bool = False) -> Iterator[tuple]:
    relationship, action, outcome = cdisc_terms(Relationship), cdisc_terms(ActionTaken), cdisc_terms(Outcome)
    events = _enrolled_only(AdverseEvent.objects, safety, "participant__").select_related("participant")
    events = events.order_by(_participant_order("participant__"), "ae_number")
    for e in events.iterator(chunk_size=FETCH_ROWS):
        day1 = e.participant.day1_date
        yield (
            study.study_id, "AE", _usubjid(study, e.participant), e.ae_number, blank_as_missing(e.term),
            blank_as_missing(e.term), iso_date(e.onset_date), iso_date(e.end_date), "ONGOING" if e.ongoing else None,
            e.grade, yes_no(e.serious), yes_no(e.death), yes_no(e.life_threatening), yes_no(e.hospitalization),
            yes_no(e.disability), yes_no(e.congenital_anomaly), yes_no(e.important_medical_event),
            relationship.get(e.relationship), action.get(e.action_taken), outcome.get(e.outcome),
            study_day(e.onset_date, day1), study_day(e.end_date, day1),
            yes_no(safety_rules.is_treatment_emergent(e.onset_date, day1)),
        )  # fmt: skip


_IE_CRITERIA = json.dumps(
    [dict(zip(("key", "testcd", "test", "cat", "orres"), (key, *ie_test(key)), strict=True)) for key in IE_TESTS]
)

DATASETS = {
    "dm": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFICDTC", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX",
         "ARMCD", "ARM"),
        sdtm_sql.DM, dm_rows,
    ),
    "ie": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IEORRES", "IESTRESC", "VISITNUM",
         "VISIT", "IEDTC", "IEDY"),
        sdtm_sql.IE, ie_rows, {"criteria": _IE_CRITERIA},
    ),
    "sv": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVSTDTC", "SVENDTC", "SVSTDY", "SVENDY"),
        sdtm_sql.SV, sv_rows,
    ),
    "vs": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "VSSEQ", "VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN",
         "VSSTRESU", "VSTPT", "VSTPTNUM", "VSELTM", "VSTPTREF", "VISITNUM", "VISIT", "VSDTC", "VSDY"),
        sdtm_sql.VS, vs_rows,
    ),
    "ex": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXROUTE", "EXLOT",
         "VISITNUM", "VISIT", "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY", "EXDOSDEV", "EXADJ"),
        sdtm_sql.EX, ex_rows,
    ),
    "rs": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSCAT", "RSORRES", "RSORRESU", "RSSTRESC",
         "RSSTRESN", "VISITNUM", "VISIT", "RSDTC", "RSDY"),
        sdtm_sql.RS, rs_rows,
    ),
    "ae": Dataset(
        ("STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AESTDTC", "AEENDTC", "AEENRF", "AETOXGR",
         "AESER", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE", "AEREL", "AEACN", "AEOUT",
         "AESTDY", "AEENDY", "AETRTEM"),
        sdtm_sql.AE, ae_rows,
        {"relationship": json.dumps(cdisc_terms(Relationship)), "action_taken": json.dumps(cdisc_terms(ActionTaken)),
         "outcome": json.dumps(cdisc_terms(Outcome))},
    ),
}  # fmt: skip
SAFETY_DOMAINS = frozenset({"dm", "ex", "ae"})  # with EXPORT_SAFETY: enrolled only, DM without BRTHDTC
