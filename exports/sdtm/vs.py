"""VS — Vital Signs: one record per vital sign measured, per time point, per visit, per participant.

- One row per vital-signs record and test with a value; VSSEQ numbers the participant's rows in time
  order. VSORRES as entered; VSSTRESC / VSSTRESN the same value (already in standard units).
- Time points of an infusion visit (PROTOCOL section 4: before, every interval during, after):
  PRE-INFUSION (VSTPTNUM 1, planned one vitals interval before INFUSION START: VSELTM -PT15M at the
  site default of 15 minutes), DURING INFUSION at m minutes (VSTPTNUM 1 + m, VSELTM PTmM from
  INFUSION START: every planned minute its own number), POST-INFUSION (one interval after INFUSION
  END, VSTPTNUM above every during time point). Vitals of a visit without infusion have no time point.
- VSLOBXFL: Y on the last non-missing result of each test measured before the first infusion started.
- EPOCH from VSDTC's date.
"""

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Subquery

from dosing.models import Infusion, Timepoint, VitalSigns
from exports.sdtm import common
from exports.sdtm.base import Dataset, ValueLevel, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, local_minute_sql, study_day_sql
from exports.sdtm.terminology import Codelist, plain, register

VS_TESTS = (  # (VSTESTCD, VSTEST, model field, unit, define data type)
    ("WEIGHT", "Weight", "weight_kg", "kg", "float"),
    ("SYSBP", "Systolic Blood Pressure", "systolic_bp", "mmHg", "integer"),
    ("DIABP", "Diastolic Blood Pressure", "diastolic_bp", "mmHg", "integer"),
    ("PULSE", "Pulse Rate", "heart_rate", "beats/min", "integer"),
    ("TEMP", "Temperature", "temperature_c", "C", "float"),
    ("RESP", "Respiratory Rate", "respiratory_rate", "breaths/min", "integer"),
    ("OXYSAT", "Oxygen Saturation", "spo2_percent", "%", "integer"),
)
START, END = "INFUSION START", "INFUSION END"
register(
    Codelist("VSTESTCD", "Vital Signs Test Code", tuple((code, test) for code, test, *_rest in VS_TESTS),
             nci_code="C66741"),
    Codelist("VSTEST", "Vital Signs Test Name", plain(*(test for _c, test, *_rest in VS_TESTS)), nci_code="C67153"),
    Codelist("VSRESU", "Units for Vital Signs Results", plain(*dict.fromkeys(u for *_x, u, _k in VS_TESTS)),
             nci_code="C66770"),
)  # fmt: skip
PRE_TPTNUM = 1
POST_TPTNUM = 1 + 32767 + 1  # after 1 + m for every m a during time point can hold (a small integer)


def timepoint(kind: str, minutes: int | None, interval: int) -> tuple[str | None, int | None, str | None, str | None]:
    """(VSTPT, VSTPTNUM, VSELTM, VSTPTREF) of a vital-signs record."""
    if kind == Timepoint.PRE_INFUSION:
        return "PRE-INFUSION", PRE_TPTNUM, f"-PT{interval}M", START
    if kind == Timepoint.DURING_INFUSION and minutes is not None:
        return f"DURING INFUSION {minutes} MIN", 1 + minutes, f"PT{minutes}M", START
    if kind == Timepoint.POST_INFUSION:
        return "POST-INFUSION", POST_TPTNUM, f"PT{interval}M", END
    return None, None, None, None


V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("VS"),
    common.usubjid_variable(),
    V("VSSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's rows in time order."),
    V("VSTESTCD", "Vital Signs Test Short Name", core="Req", origin="Assigned", codelist="VSTESTCD"),
    V("VSTEST", "Vital Signs Test Name", core="Req", origin="Assigned", codelist="VSTEST"),
    V("VSORRES", "Result or Finding in Original Units", core="Exp", origin="Collected", source="Investigator",
      crf="vital_signs"),
    V("VSORRESU", "Original Units", core="Exp", origin="Assigned", codelist="VSRESU"),
    V("VSSTRESC", "Character Result/Finding in Std Format", core="Exp", comment="VSORRES (standard units)."),
    V("VSSTRESN", "Numeric Result/Finding in Standard Units", type="float", core="Exp", comment="VSORRES as a number."),
    V("VSSTRESU", "Standard Units", core="Exp", origin="Assigned", codelist="VSRESU"),
    V("VSLOBXFL", "Last Observation Before Exposure Flag", core="Exp", codelist="NY", method="MT.LOBXFL"),
    *common.visit_variables(),
    common.epoch_variable("VSDTC"),
    V("VSDTC", "Date/Time of Measurements", type="datetime", core="Exp", origin="Collected", source="Investigator",
      crf="vital_signs.measured_at"),
    common.study_day_variable("VSDY", "Study Day of Vital Signs", "VSDTC"),
    V("VSTPT", "Planned Time Point Name", origin="Assigned", crf="vital_signs.timepoint",
      comment="PRE-INFUSION, DURING INFUSION <m> MIN, POST-INFUSION; empty for vitals of a visit without infusion."),
    V("VSTPTNUM", "Planned Time Point Number", type="integer", origin="Assigned",
      comment="1 pre-infusion; 1 + minutes during; 32769 post-infusion (after every during time point)."),
    V("VSELTM", "Planned Elapsed Time from Time Point Ref", type="durationDatetime", origin="Assigned",
      crf="vital_signs.minutes_after_start",
      comment="-PT<interval>M before INFUSION START, PT<m>M during, PT<interval>M after INFUSION END; the "
      "interval is the study configuration's vitals interval (site default 15 minutes)."),
    V("VSTPTREF", "Time Point Reference", origin="Assigned", comment="INFUSION START; INFUSION END for post-infusion."),
)  # fmt: skip

VALUE_LEVEL = tuple(
    ValueLevel(variable, "VSTESTCD", code, test, kind if variable == "VSORRES" else "float", unit,
               origin="Collected" if variable == "VSORRES" else "Derived",
               source="Investigator" if variable == "VSORRES" else "Sponsor",
               crf=f"vital_signs.{name}" if variable == "VSORRES" else "")
    for code, test, name, unit, kind in VS_TESTS
    for variable in ("VSORRES", "VSSTRESN")
)  # fmt: skip

_TESTS_SQL = ",\n    ".join(
    f"({n}, '{code}', '{test}', '{unit.replace('%', '%%')}', r.{name}::text)"
    for n, (code, test, name, unit, _kind) in enumerate(VS_TESTS, start=1)
)
_BASELINE_TESTS_SQL = ", ".join(f"('{code}', x.{name}::text)" for code, _t, name, _u, _k in VS_TESTS)

# One row per record and test with a value. The subquery gives each record once, in order (OFFSET 0
# keeps the planner from merging it into the outer query, where its expressions would be computed
# again for each test); a record's tests follow in the order of the VALUES list, so the rows come in
# order without sorting them again. The baseline record of each test is looked up in a hashed set.
SQL = f"""
WITH {STUDY},
{EPOCH_END},
first_dose AS (SELECT participant_id, min(start_time) AS first_start FROM dosing_infusion GROUP BY participant_id),
baseline AS (
    SELECT DISTINCT ON (x.participant_id, t.testcd) x.id, t.testcd
    FROM dosing_vitalsigns x
    JOIN first_dose f ON f.participant_id = x.participant_id AND x.measured_at < f.first_start
    CROSS JOIN LATERAL (VALUES {_BASELINE_TESTS_SQL}) AS t(testcd, value)
    WHERE t.value IS NOT NULL
    ORDER BY x.participant_id, t.testcd, x.measured_at DESC, x.id DESC
)
SELECT
    study.study_id AS "STUDYID",
    'VS' AS "DOMAIN",
    r.usubjid AS "USUBJID",
    row_number() OVER (PARTITION BY r.sort_key ORDER BY r.measured_at, r.id) AS "VSSEQ",
    t.testcd AS "VSTESTCD",
    t.test AS "VSTEST",
    t.value AS "VSORRES",
    t.unit AS "VSORRESU",
    t.value AS "VSSTRESC",
    t.value AS "VSSTRESN",
    t.unit AS "VSSTRESU",
    CASE WHEN (r.id, t.testcd) IN (SELECT id, testcd FROM baseline) THEN 'Y' END AS "VSLOBXFL",
    r.visitnum AS "VISITNUM",
    r.visit AS "VISIT",
    r.epoch AS "EPOCH",
    r.dtc AS "VSDTC",
    r.dy AS "VSDY",
    r.tpt AS "VSTPT",
    r.tptnum AS "VSTPTNUM",
    r.eltm AS "VSELTM",
    r.tptref AS "VSTPTREF"
FROM (
    SELECT x.id, x.measured_at, x.weight_kg, x.systolic_bp, x.diastolic_bp, x.heart_rate, x.temperature_c,
        x.respiratory_rate, x.spo2_percent, v.visitnum, v.visit_code AS visit,
        {USUBJID} AS usubjid,
        {common.SORT_KEY} AS sort_key,
        {local_minute_sql("x.measured_at")} AS dtc,
        {study_day_sql("site.local_date")} AS dy,
        {epoch_sql("site.local_date")} AS epoch,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN 'PRE-INFUSION'
            WHEN 'during_infusion' THEN 'DURING INFUSION ' || x.minutes_after_start || ' MIN'
            WHEN 'post_infusion' THEN 'POST-INFUSION'
        END AS tpt,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN {PRE_TPTNUM}
            WHEN 'during_infusion' THEN 1 + x.minutes_after_start
            WHEN 'post_infusion' THEN {POST_TPTNUM}
        END AS tptnum,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN '-PT' || study.vitals_interval_minutes || 'M'
            WHEN 'during_infusion' THEN 'PT' || x.minutes_after_start || 'M'
            WHEN 'post_infusion' THEN 'PT' || study.vitals_interval_minutes || 'M'
        END AS eltm,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN '{START}' WHEN 'during_infusion' THEN '{START}' WHEN 'post_infusion' THEN '{END}'
        END AS tptref
    FROM dosing_vitalsigns x
    JOIN subjects_participant p ON p.id = x.participant_id
    JOIN subjects_visit v ON v.id = x.visit_id
    CROSS JOIN study
    {EPOCH_JOIN}
    CROSS JOIN LATERAL (SELECT (x.measured_at AT TIME ZONE study.time_zone)::date AS local_date) AS site
    ORDER BY sort_key, x.measured_at, x.id
    OFFSET 0
) AS r
CROSS JOIN study
CROSS JOIN LATERAL (VALUES
    {_TESTS_SQL}
) AS t(n, testcd, test, unit, value)
WHERE t.value IS NOT NULL
ORDER BY r.sort_key, r.measured_at, r.id
"""


def _baselines() -> set[tuple[int, str]]:
    """(record id, VSTESTCD) of each participant's last non-missing result of each test before the first
    infusion started: one query, a few records per participant."""
    first_start = Infusion.objects.filter(participant=OuterRef("participant")).order_by("start_time")
    records = (
        VitalSigns.objects.annotate(first_start=Subquery(first_start.values("start_time")[:1]))
        .filter(measured_at__lt=F("first_start"))
        .order_by("participant_id", "measured_at", "id")
        .values_list("participant_id", "id", *(name for _c, _t, name, _u, _k in VS_TESTS))
    )
    last: dict[tuple[int, str], int] = {}
    for participant_id, record_id, *values in records.iterator(chunk_size=1000):
        for (code, *_rest), value in zip(VS_TESTS, values, strict=True):
            if value is not None:
                last[(participant_id, code)] = record_id
    return {(record_id, code) for (_participant, code), record_id in last.items()}


def rows(study, *, safety: bool = False) -> Iterator[tuple]:
    zone = ZoneInfo(study.time_zone)
    epochs = common.Epochs(study)
    interval = study.vitals_interval_minutes
    baselines = _baselines()
    records = common.with_epoch_facts(VitalSigns.objects.select_related("participant", "visit"))
    records = records.order_by(common.participant_order("participant__"), "measured_at", "id")
    participant, seq = None, 0
    for x in records.iterator(chunk_size=common.FETCH_ROWS):
        if x.participant_id != participant:
            participant, seq = x.participant_id, 0
        moment = common.local(x.measured_at, zone)
        on = moment and moment.date()
        record = (
            x.visit.visitnum, x.visit.visit_code, epochs.of(on, x), common.minute(moment),
            common.study_day(on, x.participant.day1_date), *timepoint(x.timepoint, x.minutes_after_start, interval),
        )  # fmt: skip
        usubjid = common.usubjid(study, x.participant)
        for code, test, name, unit, _kind in VS_TESTS:
            value = common.text(getattr(x, name))
            if value is not None:
                seq += 1
                flag = "Y" if (x.id, code) in baselines else None
                yield study.study_id, "VS", usubjid, seq, code, test, value, unit, value, value, unit, flag, *record


VS = Dataset(
    name="VS", label="Vital Signs", category="FINDINGS",
    structure="One record per vital sign measurement per time point per visit per subject",
    keys=("STUDYID", "USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM"), variables=VARIABLES, rows=rows, sql=SQL,
    value_level=VALUE_LEVEL,
)  # fmt: skip
