"""CDISC SDTM-style datasets (DM, IE, SV, VS, EX, RS, AE), one SQL statement each.

Conventions (documented in README_API):
- STUDYID from the study configuration (S2018-11), read by the dataset's own query like the site
  time zone, so each dataset is one statement over one snapshot; USUBJID is the participant's `usubjid`
  (S2018-11-01-001), or S2018-11-<site>-SCR-nnn for people never enrolled (screen failures,
  still screening), so IE and DM can name them; SUBJID likewise falls back to the screening number.
- --DTC are ISO 8601: dates `YYYY-MM-DD`, date-times `YYYY-MM-DDTHH:MM` in the site time zone.
- --DY: SDTM study day against Day 1 (participant.day1_date), no day 0 (subjects.schedule.study_day).
- VISITNUM/VISIT are the visit's `visitnum` and `visit_code` (SCR=0, W0=1 ... W12=6).
- DM ARMCD/ARM: UCMSC for enrolled/completed/withdrawn, SCRNFAIL "Screen Failure", NOTASSGN "Not Assigned".
- AEENRF is `ONGOING` for an ongoing AE (CRF mapping); AETRTEM flags treatment-emergent AEs;
  EXDOSDEV flags a dose deviation (EXADJ carries its reason).
- Safety variant (EXPORT_SAFETY, e.g. the DMC): enrolled participants only (subject IDs, never screening
  numbers), DM without BRTHDTC. IE, SV, VS and RS need EXPORT.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from assessments.models import PasiAssessment
from dosing.models import Infusion, Timepoint, VitalSigns
from exports import functions
from exports.dialect import Dialect, _quote, study_value
from exports.streaming import stream_query_csv
from safety.models import ActionTaken, AdverseEvent, Outcome, Relationship
from subjects import eligibility
from subjects.models import Participant, ParticipantStatus, Screening, Visit
from trialsite.models import ExportLog

P = Participant._meta.db_table
S = Screening._meta.db_table
V = Visit._meta.db_table
INF = Infusion._meta.db_table
VS = VitalSigns._meta.db_table
PA = PasiAssessment._meta.db_table
AE = AdverseEvent._meta.db_table

DOSE_UNIT = "10^6 cells"
TREATMENT = "UCMSC"

VS_TESTS = (  # (VSTESTCD, VSTEST, model field, unit, one decimal?)
    ("WEIGHT", "Weight", "weight_kg", "kg", True),
    ("SYSBP", "Systolic Blood Pressure", "systolic_bp", "mmHg", False),
    ("DIABP", "Diastolic Blood Pressure", "diastolic_bp", "mmHg", False),
    ("PULSE", "Pulse Rate", "heart_rate", "beats/min", False),
    ("TEMP", "Temperature", "temperature_c", "C", True),
    ("RESP", "Respiratory Rate", "respiratory_rate", "breaths/min", False),
    ("OXYSAT", "Oxygen Saturation", "spo2_percent", "%", False),
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
PASI_ITEMS = (  # (field suffix, RSTESTCD suffix, label, unit, one decimal?)
    ("erythema", "ERY", "Erythema", "", False),
    ("induration", "IND", "Induration", "", False),
    ("desquamation", "DESQ", "Desquamation", "", False),
    ("area_percent", "PCT", "Area Involved", "%", True),
    ("area_score", "AREA", "Area Score", "", False),
)


def rs_tests() -> list[tuple[str, str, str, str, bool]]:
    """(RSTESTCD, RSTEST, model field, unit, one decimal?) for every PASI item, then PASITOT."""
    tests = [
        (code + suffix, f"{label} {item_label}", f"{region}_{field}", unit, dec)
        for region, code, label in PASI_REGIONS
        for field, suffix, item_label, unit, dec in PASI_ITEMS
    ]
    return [*tests, ("PASITOT", "PASI Total Score", "pasi_total", "", True)]


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


@dataclass(frozen=True)
class Query:
    """A dataset's statement. No column is ever '' (stream_query_csv's contract): free text that
    may be blank is selected as NULLIF(col, ''), so a blank and a missing value are both an empty field."""

    columns: list[str]
    sql: str
    params: dict = field(default_factory=dict)
    function: str = ""  # the database function holding the statement, if it is kept as one (exports.functions)
    whole: bool = False  # a few rows per participant: copied whole before the first byte (streaming._whole)

    def csv(self, *, log: ExportLog | None = None) -> Iterator[bytes]:
        return stream_query_csv(self.sql, self.params, self.columns, log=log, function=self.function, whole=self.whole)


def _select(columns: list[tuple[str, str]]) -> tuple[list[str], str]:
    return [name for name, _ in columns], ",\n  ".join(f"{expr} AS c{i}" for i, (_, expr) in enumerate(columns))


STUDYID = study_value("study_id")


def _usubjid() -> str:
    return f"COALESCE(p.usubjid, {STUDYID} || '-' || p.site_id || '-' || p.screening_number)"


def _ids(d: Dialect, domain: str) -> list[tuple[str, str]]:
    return [("STUDYID", STUDYID), ("DOMAIN", _quote(domain)), ("USUBJID", _usubjid())]


def _usubjid_order(d: Dialect) -> str:
    """Participants in USUBJID order, then those never enrolled by screening number: in byte order
    (SQLite's, and PostgreSQL's "C" collation, compared with memcmp rather than the locale's rules),
    so a dataset's order does not depend on the server's locale and sorting it costs less."""
    key = "COALESCE(p.usubjid, '~' || p.screening_number)"
    return f'({key} COLLATE "C")' if d.postgres else key


def _unpivot_order(d: Dialect, record_order: str, t: dict[str, str]) -> str:
    """ORDER BY for an unpivoted query whose source rows come from a subquery already in `record_order`.

    PostgreSQL: none — a nested loop over the ordered subquery and its LATERAL VALUES emits the
    rows in (record, item) order, and re-sorting a million rows would be most of the export's cost.
    SQLite plans the cross join freely, so it sorts.
    """
    return "" if d.postgres else f"ORDER BY {record_order}, {t['ord']}"


def _enrolled_only(safety: bool) -> str:
    """The safety variant (DMC reviewers: pseudonymised) names people by subject ID only: people never
    enrolled, whose USUBJID would carry their screening number, are left out."""
    return "WHERE p.subject_id IS NOT NULL" if safety else ""


def dm(d: Dialect, *, safety: bool = False) -> Query:
    # the whole label from the study row in one subquery (one InitPlan, where the dose in millions() is four)
    arm = study_value(f"'{TREATMENT} ' || {d.millions('dose_per_kg_cells')} || ' x 10^6 cells/kg IV'")
    armcd = d.case_map(
        "p.status", {ParticipantStatus.SCREEN_FAILED: "SCRNFAIL", ParticipantStatus.SCREENING: "NOTASSGN"}
    )
    armname = d.case_map(
        "p.status", {ParticipantStatus.SCREEN_FAILED: "Screen Failure", ParticipantStatus.SCREENING: "Not Assigned"}
    )
    born, on = "p.date_of_birth", "s.screening_date"
    age = d.age_years(born, on)
    columns = [
        *_ids(d, "DM"),
        ("SUBJID", "COALESCE(NULLIF(p.subject_id, ''), p.screening_number)"),
        ("RFSTDTC", d.iso_date("p.day1_date")),
        ("RFICDTC", d.iso_date("p.consent_date")),
        ("SITEID", "NULLIF(p.site_id, '')"),
        *([] if safety else [("BRTHDTC", d.iso_date("p.date_of_birth"))]),
        ("AGE", age),
        ("AGEU", f"(CASE WHEN {on} IS NULL OR {born} IS NULL THEN NULL ELSE 'YEARS' END)"),  # where AGE is
        ("SEX", "NULLIF(p.sex, '')"),
        ("ARMCD", f"COALESCE({armcd}, {_quote(TREATMENT)})"),
        ("ARM", f"COALESCE({armname}, {arm})"),
    ]
    names, select = _select(columns)
    sql = f"""SELECT {select}
FROM {P} p LEFT JOIN {S} s ON s.participant_id = p.id
{_enrolled_only(safety)}
ORDER BY {_usubjid_order(d)}"""
    return Query(names, sql)


def ie(d: Dialect, *, safety: bool = False) -> Query:
    labels = eligibility.CRITERION_LABELS
    values = ", ".join(
        f"({_quote(key)}, {_quote(code)}, {_quote(labels.get(key, key)[:200])}, {_quote(cat)}, {_quote(orres)})"
        for key, (code, cat, orres) in IE_TESTS.items()
    )
    unnest, ordinal = d.json_array_join("s.failed_criteria", "fc")
    columns = [
        *_ids(d, "IE"),
        ("IESEQ", ordinal),  # every failed criterion is a record, so its place in the list numbers it
        ("IETESTCD", "COALESCE(c.testcd, UPPER(SUBSTR(fc.value, 1, 8)))"),
        ("IETEST", "COALESCE(c.test, fc.value)"),
        ("IECAT", "c.cat"),
        ("IEORRES", "c.orres"),
        ("IESTRESC", "c.orres"),
        ("VISITNUM", "v.visitnum"),
        ("VISIT", "v.visit_code"),
        ("IEDTC", d.iso_date("s.screening_date")),
        ("IEDY", d.study_day("s.screening_date", "p.day1_date")),
    ]
    names, select = _select(columns)
    sql = f"""WITH c(code, testcd, test, cat, orres) AS (VALUES {values})
SELECT {select}
FROM {S} s JOIN {P} p ON p.id = s.participant_id
{unnest}
LEFT JOIN c ON c.code = fc.value
LEFT JOIN {V} v ON v.participant_id = p.id AND v.visit_code = 'SCR'
WHERE {d.json_array_nonempty("s.failed_criteria")}
ORDER BY {_usubjid_order(d)}, {ordinal}"""
    return Query(names, sql)


def sv(d: Dialect, *, safety: bool = False) -> Query:
    columns = [
        *_ids(d, "SV"),
        ("VISITNUM", "v.visitnum"),
        ("VISIT", "v.visit_code"),
        ("SVSTDTC", d.iso_date("v.actual_date")),
        ("SVENDTC", d.iso_date("v.actual_date")),
        ("SVSTDY", d.study_day("v.actual_date", "p.day1_date")),
        ("SVENDY", d.study_day("v.actual_date", "p.day1_date")),
    ]
    names, select = _select(columns)
    sql = f"""SELECT {select}
FROM {V} v JOIN {P} p ON p.id = v.participant_id
WHERE v.actual_date IS NOT NULL
ORDER BY {_usubjid_order(d)}, v.visitnum"""
    return Query(names, sql)


def _unpivoted_items(d: Dialect, tests, alias: str, table: str) -> tuple[list[tuple[str, str]], str, dict[str, str]]:
    """Unpivot one source row (columns of `table`, subquery `alias`) holding one column per test.

    Item columns: ord, testcd, test, unit, val (text) and pos (position of the item among the row's
    non-missing values, so --SEQ = the participant's values in earlier rows + pos); missing values
    give no row.
    """
    fields = [f"{table}.{field}" for _c, _l, field, _u, _d in tests]
    values = [d.dec1(f) if test[4] else d.text(f) for f, test in zip(fields, tests, strict=True)]
    positions = [d.count_nonnull(fields[: n + 1]) for n in range(len(fields))]
    items = [(_quote(code), _quote(label), _quote(unit) if unit else "NULL") for code, label, _f, unit, _d in tests]
    return d.unpivot(alias, items, ("testcd", "test", "unit"), values, positions)


def _values_before(d: Dialect, fields: list[str], order: str) -> str:
    """Non-missing values in the participant's earlier source rows (rows in `order`): the --SEQ offset."""
    count = d.count_nonnull(fields)
    return f"SUM({count}) OVER (PARTITION BY {_usubjid_order(d)} ORDER BY {order} ROWS UNBOUNDED PRECEDING) - {count}"


def vs(d: Dialect, *, safety: bool = False) -> Query:
    """One row per vital-signs record and test, in (participant, time, record, test) order.

    The records are joined, formatted and numbered once each (VSSEQ = running count of the
    participant's values before the record + the item's position), then unpivoted in one pass.
    """
    fields = [field for _c, _l, field, _u, _d in VS_TESTS]
    item_columns, unpivot, t = _unpivoted_items(d, VS_TESTS, "r", "x")
    tpt = d.case_map("x.timepoint", {k: v[0] for k, v in VS_TIMEPOINTS.items()})
    tptnum = (
        "(CASE x.timepoint " + " ".join(f"WHEN {_quote(k)} THEN {v[1]}" for k, v in VS_TIMEPOINTS.items()) + " END)"
    )
    local_date = d.local_date("x.measured_at")
    record = [
        ("usubjid", f"NULLIF({_usubjid()}, '')"),
        ("k", _usubjid_order(d)),
        ("measured_at", "x.measured_at"),
        ("id", "x.id"),
        *item_columns,
        ("tpt", tpt),
        ("tptnum", tptnum),
        (
            "eltm",
            f"(CASE WHEN x.timepoint = {_quote(Timepoint.DURING_INFUSION)} AND x.minutes_after_start IS NOT NULL"
            f" THEN 'PT' || {d.text('x.minutes_after_start')} || 'M' END)",
        ),
        ("tptref", f"(CASE WHEN x.timepoint = {_quote(Timepoint.VISIT)} THEN NULL ELSE 'INFUSION START' END)"),
        ("visitnum", "v.visitnum"),
        ("visit", "NULLIF(v.visit_code, '')"),
        ("dtc", d.local_dtc("x.measured_at")),
        ("dy", d.study_day(local_date, "p.day1_date")),
        ("seq0", _values_before(d, [f"x.{field}" for field in fields], "x.measured_at, x.id")),
    ]
    columns = [
        ("STUDYID", STUDYID),
        ("DOMAIN", "'VS'"),
        ("USUBJID", "r.usubjid"),
        ("VSSEQ", f"r.seq0 + {t['pos']}"),
        ("VSTESTCD", t["testcd"]),
        ("VSTEST", t["test"]),
        ("VSORRES", t["val"]),
        ("VSORRESU", t["unit"]),
        ("VSSTRESC", t["val"]),
        ("VSSTRESN", t["val"]),
        ("VSSTRESU", t["unit"]),
        ("VSTPT", "r.tpt"),
        ("VSTPTNUM", "r.tptnum"),
        ("VSELTM", "r.eltm"),
        ("VSTPTREF", "r.tptref"),
        ("VISITNUM", "r.visitnum"),
        ("VISIT", "r.visit"),
        ("VSDTC", "r.dtc"),
        ("VSDY", "r.dy"),
    ]
    names, select = _select(columns)
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr in record)
    sql = f"""SELECT {select}
FROM (
  SELECT {inner}
  FROM {VS} x
  JOIN {P} p ON p.id = x.participant_id
  JOIN {V} v ON v.id = x.visit_id
  ORDER BY {_usubjid_order(d)}, x.measured_at, x.id
) r
{unpivot}
WHERE {t["val"]} IS NOT NULL
{_unpivot_order(d, "r.k, r.measured_at, r.id", t)}"""
    return Query(names, sql)


def ex(d: Dialect, *, safety: bool = False) -> Query:
    columns = [
        *_ids(d, "EX"),
        ("EXSEQ", "i.infusion_number"),
        ("EXTRT", _quote(TREATMENT)),
        ("EXDOSE", d.millions("i.administered_cells")),
        ("EXDOSU", _quote(DOSE_UNIT)),
        ("EXDOSFRM", "'SUSPENSION'"),
        ("EXROUTE", "NULLIF(i.route, '')"),
        ("EXLOT", "NULLIF(i.product_lot, '')"),
        ("VISITNUM", "v.visitnum"),
        ("VISIT", "v.visit_code"),
        ("EXSTDTC", d.local_dtc("i.start_time")),
        ("EXENDTC", d.local_dtc("i.end_time")),
        ("EXSTDY", d.study_day(d.local_date("i.start_time"), "p.day1_date")),
        ("EXENDY", d.study_day(d.local_date("i.end_time"), "p.day1_date")),
        ("EXDOSDEV", d.yn("i.dose_deviation")),
        ("EXADJ", "NULLIF(i.deviation_reason, '')"),
    ]
    names, select = _select(columns)
    sql = f"""SELECT {select}
FROM {INF} i JOIN {P} p ON p.id = i.participant_id JOIN {V} v ON v.id = i.visit_id
ORDER BY {_usubjid_order(d)}, i.infusion_number"""
    return Query(names, sql)


def rs(d: Dialect, *, safety: bool = False) -> Query:
    """One row per PASI assessment and item, in (participant, visit, item) order (as VS: one pass)."""
    tests = rs_tests()
    item_columns, unpivot, t = _unpivoted_items(d, tests, "r", "a")
    record = [
        ("usubjid", f"NULLIF({_usubjid()}, '')"),
        ("k", _usubjid_order(d)),
        ("visitnum", "v.visitnum"),
        ("id", "a.id"),
        *item_columns,
        ("visit", "NULLIF(v.visit_code, '')"),
        ("dtc", d.iso_date("a.assessment_date")),
        ("dy", d.study_day("a.assessment_date", "p.day1_date")),
        ("seq0", _values_before(d, [f"a.{field}" for _c, _l, field, _u, _d in tests], "v.visitnum, a.id")),
    ]
    columns = [
        ("STUDYID", STUDYID),
        ("DOMAIN", "'RS'"),
        ("USUBJID", "r.usubjid"),
        ("RSSEQ", f"r.seq0 + {t['pos']}"),
        ("RSTESTCD", t["testcd"]),
        ("RSTEST", t["test"]),
        ("RSCAT", "'PASI'"),
        ("RSORRES", t["val"]),
        ("RSORRESU", t["unit"]),
        ("RSSTRESC", t["val"]),
        ("RSSTRESN", t["val"]),
        ("VISITNUM", "r.visitnum"),
        ("VISIT", "r.visit"),
        ("RSDTC", "r.dtc"),
        ("RSDY", "r.dy"),
    ]
    names, select = _select(columns)
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr in record)
    sql = f"""SELECT {select}
FROM (
  SELECT {inner}
  FROM {PA} a
  JOIN {P} p ON p.id = a.participant_id
  JOIN {V} v ON v.id = a.visit_id
  ORDER BY {_usubjid_order(d)}, v.visitnum, a.id
) r
{unpivot}
WHERE {t["val"]} IS NOT NULL
{_unpivot_order(d, "r.k, r.visitnum, r.id", t)}"""
    return Query(names, sql)


def ae(d: Dialect, *, safety: bool = False) -> Query:
    upper = lambda choices: {value: label.upper() for value, label in choices.choices}  # noqa: E731
    columns = [
        *_ids(d, "AE"),
        ("AESEQ", "e.ae_number"),
        ("AETERM", "NULLIF(e.term, '')"),
        ("AEDECOD", "NULLIF(e.term, '')"),
        ("AESTDTC", d.iso_date("e.onset_date")),
        ("AEENDTC", d.iso_date("e.end_date")),
        ("AEENRF", "(CASE WHEN e.ongoing THEN 'ONGOING' END)"),
        ("AETOXGR", d.text("e.grade")),
        ("AESER", d.yn("e.serious")),
        ("AESDTH", d.yn("e.death")),
        ("AESLIFE", d.yn("e.life_threatening")),
        ("AESHOSP", d.yn("e.hospitalization")),
        ("AESDISAB", d.yn("e.disability")),
        ("AESCONG", d.yn("e.congenital_anomaly")),
        ("AESMIE", d.yn("e.important_medical_event")),
        ("AEREL", d.case_map("e.relationship", upper(Relationship))),
        ("AEACN", d.case_map("e.action_taken", upper(ActionTaken))),
        ("AEOUT", d.case_map("e.outcome", upper(Outcome))),
        ("AESTDY", d.study_day("e.onset_date", "p.day1_date")),
        ("AEENDY", d.study_day("e.end_date", "p.day1_date")),
        # treatment-emergent (safety.rules.is_treatment_emergent): onset on or after Day 1, derived here
        ("AETRTEM", d.yn("(p.day1_date IS NOT NULL AND e.onset_date >= p.day1_date)")),
    ]
    names, select = _select(columns)
    sql = f"""SELECT {select}
FROM {AE} e JOIN {P} p ON p.id = e.participant_id
{_enrolled_only(safety)}
ORDER BY {_usubjid_order(d)}, e.ae_number"""
    return Query(names, sql)


DOMAINS = {"dm": dm, "ie": ie, "sv": sv, "vs": vs, "ex": ex, "rs": rs, "ae": ae}
SAFETY_DOMAINS = frozenset({"dm", "ex", "ae"})  # available with EXPORT_SAFETY (DM without BRTHDTC)


def query(domain: str, dialect: Dialect, *, safety: bool = False) -> Query:
    """The dataset's statement, built once per database and variant: it depends on nothing else (the
    study's values and the site's time zone are read by the statement itself)."""
    return _built(domain, dialect.vendor, safety)


# Datasets of one or a few records per participant (DM: one; IE: the failed criteria of a screen failure;
# AE: about one here): copied whole, then sent (streaming._whole). The others stream as COPY gives them.
WHOLE = frozenset({"dm", "ie", "ae"})


@cache
def _built(domain: str, vendor: str, safety: bool) -> Query:
    query = replace(DOMAINS[domain](Dialect(vendor), safety=safety), whole=domain in WHOLE)
    if vendor == "postgresql" and domain in functions.KEPT:
        query = replace(query, function=functions.name(domain, safety, query.sql))
    return query
