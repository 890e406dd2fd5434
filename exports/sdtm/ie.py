"""IE — Inclusion/Exclusion Criteria Not Met: one record per criterion a screened person did not meet.

- IETESTCD / IETEST / IECAT: the criterion's code, text and category as the trial design lists them
  (TI, `criteria()`): INCL01 severity, INCL02 age, INCL03 consent, EXCL01-EXCL08 the exclusion items
  in CRF order. A missing screening PASI fails INCL01 (severity cannot be shown): one record per
  criterion, at the place of its first failure. A criterion name the study does not define (data
  written past the forms) is reported under its own name, without a category.
- IEORRES / IESTRESC: N for an inclusion criterion not met, Y for an exclusion criterion that
  applies, U for an exclusion question not answered.
- IESEQ numbers the participant's records in that order; VISIT is screening; EPOCH from IEDTC.
"""

import json

from django.db.models import OuterRef, Subquery

from exports.sdtm import common
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.common import EPOCH_END, EPOCH_JOIN, STUDY, USUBJID, epoch_sql, study_day_sql
from subjects import eligibility
from subjects.models import Screening, Study, Visit

INCLUSION, EXCLUSION = "INCLUSION", "EXCLUSION"


def criteria(study: Study) -> list[tuple[str, str, str]]:
    """(IETESTCD, IETEST, IECAT) of every criterion of the protocol, thresholds from the study configuration."""
    inclusion = [
        ("INCL01", f"Moderate to severe psoriasis vulgaris: PASI > {study.pasi_threshold} or BSA > "
                   f"{study.bsa_threshold}% at screening", INCLUSION),
        ("INCL02", f"Age {study.min_age} to {study.max_age} years inclusive, in completed years on the screening "
                   "date", INCLUSION),
        ("INCL03", "Written informed consent signed on or before the screening date, with the consent version "
                   "recorded", INCLUSION),
    ]  # fmt: skip
    exclusion = [
        (f"EXCL{n:02d}", label, EXCLUSION) for n, (_key, label) in enumerate(eligibility.EXCLUSION_ITEMS, start=1)
    ]
    return inclusion + exclusion


def _failures() -> dict[str, tuple[str, str]]:
    """Failed criterion name -> (IETESTCD, IEORRES)."""
    failures = {
        eligibility.INCLUSION_SEVERITY: ("INCL01", "N"),
        eligibility.SCREENING_PASI_MISSING: ("INCL01", "N"),
        eligibility.INCLUSION_AGE: ("INCL02", "N"),
        eligibility.INCLUSION_CONSENT: ("INCL03", "N"),
    }
    for n, key in enumerate(eligibility.EXCLUSION_KEYS, start=1):
        failures[eligibility.exclusion_criterion(key)] = (f"EXCL{n:02d}", "Y")
        failures[eligibility.exclusion_unanswered_criterion(key)] = (f"EXCL{n:02d}", "U")
    return failures


FAILURES = _failures()


def ie_test(criterion: str, texts: dict[str, tuple[str, str]]) -> tuple[str, str, str | None, str | None]:
    """(IETESTCD, IETEST, IECAT, IEORRES) of a failed criterion; one the study does not define by its name."""
    if criterion not in FAILURES:
        return criterion[:8].upper(), criterion, None, None
    code, result = FAILURES[criterion]
    test, category = texts[code]
    return code, test, category, result


V = Variable
VARIABLES = (
    common.studyid(),
    common.domain("IE"),
    common.usubjid_variable(),
    V("IESEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the participant's records."),
    V("IETESTCD", "Inclusion/Exclusion Criterion Short Name", core="Req", origin="Assigned", codelist="IETESTCD",
      crf="screening.failed_criteria"),
    V("IETEST", "Inclusion/Exclusion Criterion", core="Req", origin="Assigned",
      comment="The criterion as TI states it."),
    V("IECAT", "Inclusion/Exclusion Category", core="Req", origin="Assigned", codelist="IECAT"),
    V("IEORRES", "I/E Criterion Original Result", core="Req", codelist="NY", crf="screening",
      comment="Derived by subjects.eligibility from the screening form: N (inclusion not met), Y (exclusion "
      "applies), U (exclusion question not answered)."),
    V("IESTRESC", "I/E Criterion Result in Std Format", core="Req", codelist="NY", comment="IEORRES."),
    *common.visit_variables(),
    common.epoch_variable("IEDTC"),
    V("IEDTC", "Date/Time of Collection", type="date", origin="Collected", source="Investigator",
      crf="screening.screening_date"),
    common.study_day_variable("IEDY", "Study Day of Collection", "IEDTC"),
)  # fmt: skip

# One record per failed criterion code, in the order of the screening's list (DISTINCT ON keeps the
# first failure of a code); `criteria` holds each failure's IETESTCD, IETEST, IECAT and IEORRES.
SQL = f"""
WITH {STUDY},
{EPOCH_END},
criterion AS (
    SELECT * FROM jsonb_to_recordset(%(criteria)s::jsonb) AS c(key text, testcd text, test text, cat text, orres text)
),
failure AS (
    SELECT DISTINCT ON (s.id, COALESCE(c.testcd, upper(substr(failed.key, 1, 8))))
        s.id AS screening_id, failed.n, failed.key,
        COALESCE(c.testcd, upper(substr(failed.key, 1, 8))) AS testcd, COALESCE(c.test, failed.key) AS test,
        c.cat, c.orres
    FROM subjects_screening s
    CROSS JOIN LATERAL jsonb_array_elements_text(s.failed_criteria::jsonb) WITH ORDINALITY AS failed(key, n)
    LEFT JOIN criterion c ON c.key = failed.key
    WHERE s.failed_criteria::jsonb <> '[]'::jsonb
    ORDER BY s.id, COALESCE(c.testcd, upper(substr(failed.key, 1, 8))), failed.n
)
SELECT
    study.study_id AS "STUDYID",
    'IE' AS "DOMAIN",
    {USUBJID} AS "USUBJID",
    row_number() OVER (PARTITION BY s.id ORDER BY f.n) AS "IESEQ",
    f.testcd AS "IETESTCD",
    f.test AS "IETEST",
    f.cat AS "IECAT",
    f.orres AS "IEORRES",
    f.orres AS "IESTRESC",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    {epoch_sql("s.screening_date")} AS "EPOCH",
    s.screening_date::text AS "IEDTC",
    {study_day_sql("s.screening_date")} AS "IEDY"
FROM failure f
JOIN subjects_screening s ON s.id = f.screening_id
JOIN subjects_participant p ON p.id = s.participant_id
CROSS JOIN study
{EPOCH_JOIN}
LEFT JOIN subjects_visit v ON v.participant_id = p.id AND v.visit_code = 'SCR'
WHERE s.failed_criteria::jsonb <> '[]'::jsonb
ORDER BY {common.SORT_KEY}, f.n
"""


def params(study: Study) -> dict:
    texts = {code: (test, category) for code, test, category in criteria(study)}
    return {
        "criteria": json.dumps(
            [dict(zip(("key", "testcd", "test", "cat", "orres"), (key, *ie_test(key, texts)), strict=True))
             for key in FAILURES]
        )
    }  # fmt: skip


def rows(study: Study, *, safety: bool = False):
    texts = {code: (test, category) for code, test, category in criteria(study)}
    epochs = common.Epochs(study)
    scr = Visit.objects.filter(participant=OuterRef("participant"), visit_code="SCR")
    screenings = common.with_epoch_facts(
        Screening.objects.select_related("participant")
        .exclude(failed_criteria=[])
        .annotate(scr_visitnum=Subquery(scr.values("visitnum")[:1]), scr_code=Subquery(scr.values("visit_code")[:1]))
    ).order_by(common.participant_order("participant__"), "id")
    for s in screenings.iterator(chunk_size=common.FETCH_ROWS):
        p, seq, seen = s.participant, 0, set()
        for criterion in s.failed_criteria or []:
            code, test, category, result = ie_test(criterion, texts)
            if code in seen:
                continue
            seen.add(code)
            seq += 1
            yield (
                study.study_id, "IE", common.usubjid(study, p), seq, code, test, category, result, result,
                s.scr_visitnum, s.scr_code, epochs.of(s.screening_date, s), common.iso_date(s.screening_date),
                common.study_day(s.screening_date, p.day1_date),
            )  # fmt: skip


IE = Dataset(
    name="IE", label="Inclusion/Exclusion Criteria Not Met", category="FINDINGS",
    structure="One record per inclusion/exclusion criterion not met per subject",
    keys=("STUDYID", "USUBJID", "IETESTCD"), variables=VARIABLES, rows=rows, sql=SQL, params=params,
)  # fmt: skip
