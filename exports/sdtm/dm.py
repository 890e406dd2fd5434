"""DM — Demographics: one record per person who consented (screen failures and people still in
screening too: SDTMIG 3.4 puts everyone screened in DM).

Rules, variable by variable, where they are not plain copies of a CRF field:
- SUBJID: the subject ID; the screening number for people never enrolled.
- RFSTDTC: Day 1, the date of the first infusion. RFXSTDTC / RFXENDTC: start of the first infusion /
  end of the last one, in site time. RFENDTC: end of the participant's study: the date of the last
  visit (W12) once completed, the withdrawal date once withdrawn, else empty. RFPENDTC: end of
  participation, the latest of the last visit date, the withdrawal date and the screening date, for
  people whose participation has ended (screen failed, completed, withdrawn).
- DTHFL / DTHDTC: Y and the end date (else onset) of an AE with outcome fatal.
- AGE: completed years on the screening date (subjects.eligibility.age_in_completed_years).
- RACE / ETHNIC: the CDISC term of the participant's answer, NOT REPORTED when not collected.
- ARMCD / ARM: the one arm for everyone enrolled; ACTARMCD / ACTARM: the same once dosed (Day 1
  known). ARMNRS says why they are empty (SDTMIG 3.4): SCREEN FAILURE, NOT ASSIGNED (still in
  screening), ASSIGNED, NOT TREATED (enrolled, never dosed).
- COUNTRY: the trial's country from the registry record (CHN).
Safety variant (DMC reviewers): enrolled participants only, without BRTHDTC.
"""

import json
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from dosing.models import Infusion
from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import STUDY, USUBJID, arm_sql, local_minute_sql
from exports.sdtm.registry_record import COUNTRY
from safety.models import AdverseEvent, Outcome
from subjects import eligibility
from subjects.models import Ethnicity, Participant, ParticipantStatus, Race, Visit

NOT_REPORTED = "NOT REPORTED"
RACE_TERMS = {
    Race.AMERICAN_INDIAN_OR_ALASKA_NATIVE: "AMERICAN INDIAN OR ALASKA NATIVE",
    Race.ASIAN: "ASIAN",
    Race.BLACK_OR_AFRICAN_AMERICAN: "BLACK OR AFRICAN AMERICAN",
    Race.NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER: "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
    Race.WHITE: "WHITE",
    Race.MULTIPLE: "MULTIPLE",
    Race.OTHER: "OTHER",
    Race.UNKNOWN: "UNKNOWN",
}
ETHNIC_TERMS = {
    Ethnicity.HISPANIC_OR_LATINO: "HISPANIC OR LATINO",
    Ethnicity.NOT_HISPANIC_OR_LATINO: "NOT HISPANIC OR LATINO",
    Ethnicity.UNKNOWN: "UNKNOWN",
}
ENDED = (ParticipantStatus.SCREEN_FAILED, ParticipantStatus.COMPLETED, ParticipantStatus.WITHDRAWN)
SCREEN_FAILURE, NOT_ASSIGNED, NOT_TREATED = "SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED"

V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("DM"),
    common.usubjid_variable(),
    V("SUBJID", "Subject Identifier for the Study", core="Req", origin="Assigned", crf="participant.subject_id",
      comment="The subject ID; the screening number for people never enrolled."),
    V("RFSTDTC", "Subject Reference Start Date/Time", type="date", core="Exp", crf="participant.day1_date",
      comment="Day 1: the date of the first infusion."),
    V("RFENDTC", "Subject Reference End Date/Time", type="date", core="Exp",
      comment="The date of the last visit once completed, the withdrawal date once withdrawn, else empty."),
    V("RFXSTDTC", "Date/Time of First Study Treatment", type="datetime", core="Exp", crf="infusion.start_time",
      comment="Start of the first infusion, site time."),
    V("RFXENDTC", "Date/Time of Last Study Treatment", type="datetime", core="Exp", crf="infusion.end_time",
      comment="End of the last infusion, site time."),
    V("RFICDTC", "Date/Time of Informed Consent", type="date", core="Exp", origin="Collected",
      source="Investigator", crf="participant.consent_date"),
    V("RFPENDTC", "Date/Time of End of Participation", type="date", core="Exp",
      comment="The latest of the last visit date, the withdrawal date and the screening date, once participation "
      "has ended (screen failed, completed, withdrawn)."),
    V("DTHDTC", "Date/Time of Death", type="date", core="Exp", crf="adverse_event.end_date",
      comment="End date (else onset date) of the AE with outcome fatal."),
    V("DTHFL", "Subject Death Flag", core="Exp", codelist="NY", comment="Y when an AE has outcome fatal."),
    V("SITEID", "Study Site Identifier", core="Req", origin="Assigned", crf="participant.site_id"),
    V("BRTHDTC", "Date/Time of Birth", type="date", core="Perm", origin="Collected", source="Investigator",
      crf="participant.date_of_birth"),
    V("AGE", "Age", type="integer", core="Exp", method="MT.AGE", crf="participant.date_of_birth",
      comment="Completed years on the screening date."),
    V("AGEU", "Age Units", core="Exp", origin="Assigned", codelist="AGEU"),
    V("SEX", "Sex", core="Req", origin="Collected", source="Investigator", codelist="SEX", crf="participant.sex"),
    V("RACE", "Race", core="Exp", origin="Collected", source="Subject", codelist="RACE", crf="participant.race",
      comment="NOT REPORTED when not collected."),
    V("ETHNIC", "Ethnicity", core="Perm", origin="Collected", source="Subject", codelist="ETHNIC",
      crf="participant.ethnicity", comment="NOT REPORTED when not collected."),
    V("ARMCD", "Planned Arm Code", core="Exp", origin="Assigned", comment="UCMSC for everyone enrolled, else empty."),
    V("ARM", "Description of Planned Arm", core="Exp", origin="Assigned",
      comment="The arm with the dose per kg of the study configuration, for everyone enrolled."),
    V("ACTARMCD", "Actual Arm Code", core="Exp", comment="UCMSC once dosed (Day 1 known), else empty."),
    V("ACTARM", "Description of Actual Arm", core="Exp", comment="ARM once dosed, else empty."),
    V("ARMNRS", "Reason Arm and/or Actual Arm is Null", core="Exp", codelist="ARMNULRS",
      comment="SCREEN FAILURE, NOT ASSIGNED (still in screening) or ASSIGNED, NOT TREATED (enrolled, never dosed)."),
    V("ACTARMUD", "Description of Unplanned Actual Arm", core="Exp", comment="Never used: one arm, no unplanned one."),
    V("COUNTRY", "Country", core="Req", origin="Protocol", codelist="COUNTRY",
      comment="The country of the trial's sites (registry record)."),
)  # fmt: skip

SQL = f"""
WITH {STUDY},
exposure AS (
    SELECT participant_id, min(start_time) AS first_start, max(end_time) AS last_end
    FROM dosing_infusion GROUP BY participant_id
),
death AS (
    SELECT participant_id, min(COALESCE(end_date, onset_date)) AS death_date
    FROM safety_adverseevent WHERE outcome = 'fatal' GROUP BY participant_id
),
last_visit AS (SELECT participant_id, max(actual_date) AS last_date FROM subjects_visit GROUP BY participant_id)
SELECT
    study.study_id AS "STUDYID",
    'DM' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    COALESCE(NULLIF(p.subject_id, ''), p.screening_number) AS "SUBJID",
    p.day1_date::text AS "RFSTDTC",
    (CASE p.status WHEN 'completed' THEN lv.last_date WHEN 'withdrawn' THEN p.withdrawal_date END)::text
        AS "RFENDTC",
    {local_minute_sql("x.first_start")} AS "RFXSTDTC",
    {local_minute_sql("x.last_end")} AS "RFXENDTC",
    p.consent_date::text AS "RFICDTC",
    (CASE WHEN p.status IN ('screen_failed', 'completed', 'withdrawn')
        THEN GREATEST(lv.last_date, p.withdrawal_date, s.screening_date) END)::text AS "RFPENDTC",
    d.death_date::text AS "DTHDTC",
    CASE WHEN d.death_date IS NOT NULL THEN 'Y' END AS "DTHFL",
    NULLIF(p.site_id, '') AS "SITEID",
    p.date_of_birth::text AS "BRTHDTC",
    date_part('year', age(s.screening_date, p.date_of_birth))::integer AS "AGE",
    CASE WHEN s.screening_date IS NOT NULL AND p.date_of_birth IS NOT NULL THEN 'YEARS' END AS "AGEU",
    NULLIF(p.sex, '') AS "SEX",
    COALESCE(%(race)s::jsonb ->> p.race, '{NOT_REPORTED}') AS "RACE",
    COALESCE(%(ethnic)s::jsonb ->> p.ethnicity, '{NOT_REPORTED}') AS "ETHNIC",
    CASE WHEN p.subject_id IS NOT NULL THEN '{common.TREATMENT}' END AS "ARMCD",
    CASE WHEN p.subject_id IS NOT NULL THEN {arm_sql()} END AS "ARM",
    CASE WHEN p.subject_id IS NOT NULL AND p.day1_date IS NOT NULL THEN '{common.TREATMENT}' END AS "ACTARMCD",
    CASE WHEN p.subject_id IS NOT NULL AND p.day1_date IS NOT NULL THEN {arm_sql()} END AS "ACTARM",
    CASE
        WHEN p.status = 'screen_failed' THEN '{SCREEN_FAILURE}'
        WHEN p.subject_id IS NULL THEN '{NOT_ASSIGNED}'
        WHEN p.day1_date IS NULL THEN '{NOT_TREATED}'
    END AS "ARMNRS",
    NULL::text AS "ACTARMUD",
    '{COUNTRY}' AS "COUNTRY"
FROM subjects_participant p
CROSS JOIN study
LEFT JOIN subjects_screening s ON s.participant_id = p.id
LEFT JOIN exposure x ON x.participant_id = p.id
LEFT JOIN death d ON d.participant_id = p.id
LEFT JOIN last_visit lv ON lv.participant_id = p.id
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY {common.SORT_KEY}
"""


def rows(study, *, safety: bool = False):
    zone = ZoneInfo(study.time_zone)
    treatment = common.arm(study)
    infusions = Infusion.objects.filter(participant=OuterRef("pk"))
    participants = common.enrolled_only(Participant.objects, safety).annotate(
        screened=F("screening__screening_date"),
        first_start=Subquery(infusions.order_by("start_time").values("start_time")[:1]),
        last_end=Subquery(infusions.order_by("-end_time").values("end_time")[:1]),
        death_date=Subquery(
            AdverseEvent.objects.filter(participant=OuterRef("pk"), outcome=Outcome.FATAL)
            .annotate(day=Coalesce("end_date", "onset_date"))
            .order_by("day")
            .values("day")[:1]
        ),
        last_date=Subquery(
            Visit.objects.filter(participant=OuterRef("pk"), actual_date__isnull=False)
            .order_by("-actual_date")
            .values("actual_date")[:1]
        ),
    )
    for p in participants.order_by(common.participant_order()).iterator(chunk_size=common.FETCH_ROWS):
        age = None if p.screened is None else eligibility.age_in_completed_years(p.date_of_birth, p.screened)
        end = {ParticipantStatus.COMPLETED: p.last_date, ParticipantStatus.WITHDRAWN: p.withdrawal_date}.get(p.status)
        ended = [d for d in (p.last_date, p.withdrawal_date, p.screened) if d] if p.status in ENDED else []
        enrolled, dosed = p.subject_id is not None, p.subject_id is not None and p.day1_date is not None
        if p.status == ParticipantStatus.SCREEN_FAILED:
            reason = SCREEN_FAILURE
        else:
            reason = NOT_ASSIGNED if not enrolled else (None if dosed else NOT_TREATED)
        yield (
            study.study_id, "DM", common.usubjid(study, p), common.blank_as_missing(p.subject_id) or p.screening_number,
            common.iso_date(p.day1_date), common.iso_date(end),
            common.minute(common.local(p.first_start, zone)), common.minute(common.local(p.last_end, zone)),
            common.iso_date(p.consent_date), common.iso_date(max(ended) if ended else None),
            common.iso_date(p.death_date), "Y" if p.death_date else None, common.blank_as_missing(p.site_id),
            common.iso_date(p.date_of_birth), age, None if age is None else "YEARS", common.blank_as_missing(p.sex),
            RACE_TERMS.get(p.race, NOT_REPORTED), ETHNIC_TERMS.get(p.ethnicity, NOT_REPORTED),
            common.TREATMENT if enrolled else None, treatment if enrolled else None,
            common.TREATMENT if dosed else None, treatment if dosed else None, reason, None, COUNTRY,
        )  # fmt: skip


def params(study) -> dict:
    return {
        "race": json.dumps({key.value: term for key, term in RACE_TERMS.items()}),
        "ethnic": json.dumps({key.value: term for key, term in ETHNIC_TERMS.items()}),
    }


DM = Dataset(
    name="DM", label="Demographics", category="SPECIAL PURPOSE", structure="One record per subject",
    keys=("STUDYID", "USUBJID"), variables=VARIABLES, rows=rows, sql=SQL, params=params, safety=True,
    safety_hidden=frozenset({"BRTHDTC"}),
)  # fmt: skip
