"""DS — Disposition: protocol milestones and the disposition of each person who consented.

Per participant, in this order (DSSEQ):
1. INFORMED CONSENT OBTAINED (PROTOCOL MILESTONE) on the consent date;
2. ENROLLED (PROTOCOL MILESTONE; the milestone that stands for randomization in this single-arm
   trial, a sponsor extension of the extensible codelist) on the site date of enrollment;
3. the disposition event (DISPOSITION EVENT): SCREEN FAILURE on the screening date; COMPLETED on
   the date of the last visit; for a withdrawal the reason as given (DSTERM) on the withdrawal date,
   DSDECOD DEATH when an AE had outcome fatal, else OTHER (the CRF collects the reason as free
   text, not as a coded category). People still in screening or on treatment have no record 3.
EPOCH from DSSTDTC.
Safety variant (DMC reviewers): enrolled participants only.
"""

from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Subquery

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, study_day_sql
from safety.models import AdverseEvent, Outcome
from subjects.models import Participant, ParticipantStatus, Visit

MILESTONE, DISPOSITION = "PROTOCOL MILESTONE", "DISPOSITION EVENT"
CONSENTED, ENROLLED = "INFORMED CONSENT OBTAINED", "ENROLLED"
SCREEN_FAILURE, COMPLETED, DEATH, OTHER = "SCREEN FAILURE", "COMPLETED", "DEATH", "OTHER"

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("DS"),
    common.usubjid_variable(),
    V("DSSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's records in order."),
    V("DSTERM", "Reported Term for the Disposition Event", core="Req", crf="participant.withdrawal_reason",
      comment="The withdrawal reason as entered; for the other events their standard term."),
    V("DSDECOD", "Standardized Disposition Term", core="Req", codelist="DSDECOD", crf="participant.status",
      comment="INFORMED CONSENT OBTAINED, ENROLLED, SCREEN FAILURE, COMPLETED, DEATH (an AE with outcome fatal) or "
      "OTHER (any other withdrawal)."),
    V("DSCAT", "Category for Disposition Event", core="Exp", codelist="DSCAT"),
    common.epoch_variable("DSSTDTC"),
    V("DSSTDTC", "Start Date/Time of Disposition Event", type="date", core="Exp",
      crf="participant.consent_date, participant.enrolled_at, screening.screening_date, visit.actual_date, "
      "participant.withdrawal_date"),
    common.study_day_variable("DSSTDY", "Study Day of Start of Disposition Event", "DSSTDTC"),
)  # fmt: skip

SQL = f"""
WITH {STUDY},
{EPOCH_END},
last_visit AS (SELECT participant_id, max(actual_date) AS last_date FROM subjects_visit GROUP BY participant_id),
event AS (
    SELECT p.id AS participant_id, 1 AS n, '{CONSENTED}' AS term, '{CONSENTED}' AS decod, '{MILESTONE}' AS cat,
        p.consent_date AS on_date
    FROM subjects_participant p
    UNION ALL
    SELECT p.id, 2, '{ENROLLED}', '{ENROLLED}', '{MILESTONE}', (p.enrolled_at AT TIME ZONE study.time_zone)::date
    FROM subjects_participant p CROSS JOIN study
    WHERE p.subject_id IS NOT NULL
    UNION ALL
    SELECT p.id, 3,
        CASE p.status WHEN 'withdrawn' THEN NULLIF(p.withdrawal_reason, '') WHEN 'completed' THEN '{COMPLETED}'
            ELSE '{SCREEN_FAILURE}' END,
        CASE p.status
            WHEN 'withdrawn' THEN CASE WHEN EXISTS (
                SELECT 1 FROM safety_adverseevent a WHERE a.participant_id = p.id AND a.outcome = 'fatal'
            ) THEN '{DEATH}' ELSE '{OTHER}' END
            WHEN 'completed' THEN '{COMPLETED}'
            ELSE '{SCREEN_FAILURE}'
        END,
        '{DISPOSITION}',
        CASE p.status WHEN 'withdrawn' THEN p.withdrawal_date WHEN 'completed' THEN lv.last_date
            ELSE s.screening_date END
    FROM subjects_participant p
    LEFT JOIN subjects_screening s ON s.participant_id = p.id
    LEFT JOIN last_visit lv ON lv.participant_id = p.id
    WHERE p.status IN ('screen_failed', 'completed', 'withdrawn')
)
SELECT
    study.study_id AS "STUDYID",
    'DS' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY p.id ORDER BY d.n) AS "DSSEQ",
    d.term AS "DSTERM",
    d.decod AS "DSDECOD",
    d.cat AS "DSCAT",
    {epoch_sql("d.on_date")} AS "EPOCH",
    d.on_date::text AS "DSSTDTC",
    {study_day_sql("d.on_date")} AS "DSSTDY"
FROM event d
JOIN subjects_participant p ON p.id = d.participant_id
CROSS JOIN study
{EPOCH_JOIN}
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {common.SORT_KEY}, d.n
"""


def events(participant, zone: ZoneInfo) -> list[tuple]:
    """(DSTERM, DSDECOD, DSCAT, date) of each of the participant's disposition records, in order."""
    found = [(CONSENTED, CONSENTED, MILESTONE, participant.consent_date)]
    if participant.subject_id is not None:
        enrolled_on = participant.enrolled_at and participant.enrolled_at.astimezone(zone).date()
        found.append((ENROLLED, ENROLLED, MILESTONE, enrolled_on))
    if participant.status == ParticipantStatus.WITHDRAWN:
        decod = DEATH if participant.died else OTHER
        found.append((common.blank_as_missing(participant.withdrawal_reason), decod, DISPOSITION,
                      participant.withdrawal_date))  # fmt: skip
    elif participant.status == ParticipantStatus.COMPLETED:
        found.append((COMPLETED, COMPLETED, DISPOSITION, participant.last_date))
    elif participant.status == ParticipantStatus.SCREEN_FAILED:
        found.append((SCREEN_FAILURE, SCREEN_FAILURE, DISPOSITION, participant.screened))
    return found


def rows(study, *, safety: bool = False):
    zone = ZoneInfo(study.time_zone)
    epochs = common.Epochs(study)
    last_visit = Visit.objects.filter(participant=OuterRef("pk"), actual_date__isnull=False).order_by("-actual_date")
    participants = common.with_epoch_facts(
        common.enrolled_only(Participant.objects, safety).annotate(
            screened=F("screening__screening_date"),
            last_date=Subquery(last_visit.values("actual_date")[:1]),
            died=Exists(AdverseEvent.objects.filter(participant=OuterRef("pk"), outcome=Outcome.FATAL)),
        ),
        prefix="",
    ).order_by(common.participant_order())
    for p in participants.iterator(chunk_size=common.FETCH_ROWS):
        usubjid = common.usubjid(study, p)
        for seq, (term, decod, category, on) in enumerate(events(p, zone), start=1):
            yield (
                study.study_id, "DS", usubjid, seq, term, decod, category, epochs.of(on, p), common.iso_date(on),
                common.study_day(on, p.day1_date),
            )  # fmt: skip


DS = Dataset(
    name="DS", label="Disposition", category="EVENTS",
    structure="One record per disposition status or protocol milestone per subject",
    keys=("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC"), variables=VARIABLES, rows=rows, sql=SQL, safety=True,
)  # fmt: skip
