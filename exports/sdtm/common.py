"""What the subject-level datasets share: identifiers, dates, study day and EPOCH, in SQL and in Python.

The rules are the rule modules' (subjects.schedule: study day, epoch and end of treatment;
subjects.eligibility: age); the SQL fragments re-express them for the statements, and the test
comparing each statement with its Python rows holds them equal:
- USUBJID is the participant's `usubjid` (S2018-11-01-001), or S2018-11-<site>-SCR-nnn for people
  never enrolled, so IE, DS and DM can name them.
- Rows are in USUBJID order compared byte by byte (COLLATE "C", as SAS sorts); people never enrolled
  follow, by screening number.
- --DTC: dates `YYYY-MM-DD`, date-times `YYYY-MM-DDTHH:MM` in the site time zone.
- --DY: study day against Day 1 (subjects.schedule.study_day), no day 0.
- EPOCH (PROTOCOL §11, subjects.schedule.epoch): SCREENING from consent to the day before Day 1 and
  for people never dosed, TREATMENT from Day 1 to the end of treatment, FOLLOW-UP after; the end of
  treatment is the day of the infusion at the last dosing visit (W8), or of the last infusion once the
  participant has withdrawn or completed (subjects.schedule.treatment_end). An observation takes the
  epoch of its date; one dated before consent (a medication started before the study) has none.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Collate, Concat

from dosing.models import Infusion
from exports.sdtm.base import Variable
from subjects import schedule
from subjects.models import Participant, ParticipantStatus, Study, VisitDefinition

FETCH_ROWS = 100  # records read at a time on the Python path: its memory, whatever the number of rows
TREATMENT = "UCMSC"
DOSING_OVER = (ParticipantStatus.WITHDRAWN, ParticipantStatus.COMPLETED)

# -- SQL fragments ----------------------------------------------------------------------------

STUDY = (
    "study AS (SELECT study_id, time_zone, dose_per_kg_cells, vitals_interval_minutes FROM subjects_study"
    " ORDER BY id LIMIT 1)"
)
USUBJID = "COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number)"
SORT_KEY = "COALESCE(p.usubjid, '~' || p.screening_number) COLLATE \"C\""
# The end of the TREATMENT epoch per participant who had an infusion (subjects.schedule.treatment_end).
# The latest start is taken as an instant and turned into its site date once per participant: the site
# date never goes back as time goes on, so the date of the latest start is the latest of their dates.
# MATERIALIZED: one row per dosed participant, computed once and then looked up; left to the planner,
# a dataset's own rows (LB's hundreds of thousands) could be hashed against it instead.
EPOCH_END = """last_dosing AS (
    SELECT code FROM subjects_visitdefinition WHERE dosing ORDER BY visitnum DESC LIMIT 1
),
epoch_end AS MATERIALIZED (
    SELECT latest.participant_id,
        (COALESCE(
            latest.at_last_dosing_visit,
            CASE WHEN ip.status IN ('withdrawn', 'completed') THEN latest.any END
        ) AT TIME ZONE study.time_zone)::date AS treatment_end
    FROM (
        SELECT i.participant_id,
            max(i.start_time) FILTER (WHERE v.visit_code = (SELECT code FROM last_dosing)) AS at_last_dosing_visit,
            max(i.start_time) AS any
        FROM dosing_infusion i
        JOIN subjects_visit v ON v.id = i.visit_id
        GROUP BY i.participant_id
    ) AS latest
    JOIN subjects_participant ip ON ip.id = latest.participant_id
    CROSS JOIN study
)"""
EPOCH_JOIN = "LEFT JOIN epoch_end ee ON ee.participant_id = p.id"


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal inside a statement run with parameters (quotes and % doubled)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def study_day_sql(on: str) -> str:
    """subjects.schedule.study_day of the date expression `on`, against `p.day1_date`."""
    return f"{on} - p.day1_date + CASE WHEN {on} >= p.day1_date THEN 1 ELSE 0 END"


def epoch_sql(on: str) -> str:
    """subjects.schedule.epoch of the date expression `on` (needs EPOCH_END and EPOCH_JOIN)."""
    return (
        f"CASE WHEN {on} IS NULL OR {on} < p.consent_date THEN NULL"
        f" WHEN p.day1_date IS NULL OR {on} < p.day1_date THEN '{schedule.SCREENING_EPOCH}'"
        f" WHEN ee.treatment_end IS NULL OR {on} <= ee.treatment_end THEN '{schedule.TREATMENT_EPOCH}'"
        f" ELSE '{schedule.FOLLOW_UP_EPOCH}' END"
    )


def local_minute_sql(moment: str) -> str:
    """A timestamp as YYYY-MM-DDTHH:MM in the site time zone (needs the `study` CTE)."""
    return f"to_char({moment} AT TIME ZONE study.time_zone, 'YYYY-MM-DD\"T\"HH24:MI')"


def arm_sql() -> str:
    """The planned arm's description from the study configuration (exports.sdtm.common.arm)."""
    return f"'{TREATMENT} ' || trim_scale(study.dose_per_kg_cells / 1000000.0) || ' x 10^6 cells/kg IV'"


# -- Python -----------------------------------------------------------------------------------


def arm(study: Study) -> str:
    """ARM: the one planned arm, with the dose per kg from the study configuration."""
    return f"{TREATMENT} {millions(study.dose_per_kg_cells)} x 10^6 cells/kg IV"


def millions(cells: int | None) -> str | None:
    """A count of cells in units of 10^6, exactly (126500000 -> '126.5', 2000000 -> '2')."""
    return None if cells is None else str(Decimal(cells) / 1_000_000)


def iso_date(on: date | None) -> str | None:
    return None if on is None else on.isoformat()


def blank_as_missing(text: str | None) -> str | None:
    return text or None


def yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("Y" if flag else "N")


def text(value) -> str | None:
    return None if value is None else str(value)


def study_day(on: date | None, day1: date | None) -> int | None:
    return None if on is None else schedule.study_day(on, day1)


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)


def minute(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M")


def usubjid(study: Study, participant: Participant) -> str:
    return participant.usubjid or f"{study.study_id}-{participant.site_id}-{participant.screening_number}"


def participant_order(prefix: str = "") -> Collate | Coalesce:
    """USUBJID, then the screening number of people never enrolled, compared byte by byte."""
    key = Coalesce(f"{prefix}usubjid", Concat(Value("~"), f"{prefix}screening_number"))
    return Collate(key, "C") if connection.vendor == "postgresql" else key  # SQLite compares bytes


def enrolled_only(records, safety: bool, prefix: str = ""):
    """The safety variant (DMC reviewers: pseudonymised) names people by subject ID only: people never
    enrolled, whose USUBJID would carry their screening number, are left out."""
    return records.filter(**{f"{prefix}subject_id__isnull": False}) if safety else records


def with_epoch_facts(records, prefix: str = "participant__"):
    """`records` annotated with what EPOCH needs of their participant (Epochs.of reads it)."""
    participant = OuterRef(f"{prefix}id") if prefix else OuterRef("id")
    infusions = Infusion.objects.filter(participant=participant)
    last_dosing = VisitDefinition.objects.filter(dosing=True).order_by("-visitnum").values("code")[:1]
    return records.annotate(
        epoch_last_dosing_start=Subquery(
            infusions.filter(visit__visit_code=Subquery(last_dosing)).values("start_time")[:1]
        ),
        epoch_last_start=Subquery(infusions.order_by("-start_time").values("start_time")[:1]),
        epoch_status=F(f"{prefix}status") if prefix else F("status"),
        epoch_day1=F(f"{prefix}day1_date") if prefix else F("day1_date"),
        epoch_consent=F(f"{prefix}consent_date") if prefix else F("consent_date"),
    )


class Epochs:
    """EPOCH of an observation's date, for a record annotated by with_epoch_facts."""

    def __init__(self, study: Study):
        self.zone = ZoneInfo(study.time_zone)

    def of(self, on: date | None, record) -> str | None:
        end = schedule.treatment_end(
            last_dosing_visit_infusion=self._day(record.epoch_last_dosing_start),
            last_infusion=self._day(record.epoch_last_start),
            dosing_over=record.epoch_status in DOSING_OVER,
        )
        return schedule.epoch(on, day1=record.epoch_day1, treatment_end=end, consent=record.epoch_consent)

    def _day(self, moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(self.zone).date()


# -- variables every subject-level dataset has ------------------------------------------------


def studyid() -> Variable:
    return Variable(
        "STUDYID", "Study Identifier", core="Req", origin="Protocol", comment="The study configuration's study ID."
    )


def domain(name: str) -> Variable:
    return Variable("DOMAIN", "Domain Abbreviation", core="Req", origin="Assigned", comment=f"Always {name}.")


def usubjid_variable() -> Variable:
    return Variable(
        "USUBJID", "Unique Subject Identifier", core="Req", origin="Assigned", crf="participant.usubjid",
        comment="STUDYID-SITEID-SUBJID (S2018-11-01-001); for people never enrolled STUDYID-SITEID-screening "
        "number (S2018-11-01-SCR-002).",
    )  # fmt: skip


def epoch_variable(date_variable: str) -> Variable:
    return Variable(
        "EPOCH", "Epoch", core="Perm", codelist="EPOCH", method="MT.EPOCH",
        comment=f"The epoch of {date_variable}'s date (PROTOCOL section 11).",
    )  # fmt: skip


def study_day_variable(name: str, label: str, date_variable: str) -> Variable:
    return Variable(
        name, label, type="integer", method="MT.STUDYDAY",
        comment=f"Study day of {date_variable} against RFSTDTC (Day 1), no day 0.",
    )  # fmt: skip


def visit_variables() -> tuple[Variable, Variable]:
    return (
        Variable("VISITNUM", "Visit Number", type="float", core="Exp", origin="Assigned", crf="visit.visitnum",
                 comment="The visit definition's number (SCR 0, W0 1 ... W12 6)."),
        Variable("VISIT", "Visit Name", core="Perm", origin="Assigned", crf="visit.visit_code",
                 comment="The visit code (SCR, W0 ... W12)."),
    )  # fmt: skip
