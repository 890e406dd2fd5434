"""The SDTM datasets as PostgreSQL statements, one per dataset, run by `COPY (…) TO STDOUT`.

Each statement reads the study configuration itself (STUDYID, the dose in ARM, the site time zone),
so a dataset is one snapshot. The rules it re-expresses are those of the rule modules, and
`exports.sdtm` builds the same rows from them in Python (SQLite); a test requires both to give
byte-identical CSV:
- study day (subjects.schedule.study_day), no day 0: `on - day1`, plus 1 from Day 1 on;
- age in completed years (subjects.eligibility.age_in_completed_years): `age()`'s years;
- dates `YYYY-MM-DD` (`date::text` under DateStyle ISO, which psycopg2 needs to read any date, so
  the whole application runs with it), date-times to the minute in the site time zone (whatever the
  session's time zone); a count of cells in units of 10^6 exactly (`trim_scale`: 126500000 -> 126.5).
Rows are in USUBJID order compared byte by byte (COLLATE "C", as SAS sorts), whatever the server's
locale; people never enrolled follow, by screening number. Blank text is selected as NULL, so a blank
and a missing value are both an empty field (COPY quotes only an empty string). `%%` is a literal
`%`: the statements are formatted with their parameters (`%(name)s`, from exports.sdtm).
DM, EX and AE take `%(safety)s`: true for the DMC's variant, which leaves out people never enrolled
(whose USUBJID carries their screening number), so it names people by subject ID only.
"""

DM = """
WITH study AS (SELECT study_id, dose_per_kg_cells FROM subjects_study ORDER BY id LIMIT 1)
SELECT
    study.study_id AS "STUDYID",
    'DM' AS "DOMAIN",
    COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS "USUBJID",
    COALESCE(NULLIF(p.subject_id, ''), p.screening_number) AS "SUBJID",
    p.day1_date::text AS "RFSTDTC",
    p.consent_date::text AS "RFICDTC",
    NULLIF(p.site_id, '') AS "SITEID",
    p.date_of_birth::text AS "BRTHDTC",
    date_part('year', age(s.screening_date, p.date_of_birth))::integer AS "AGE",
    CASE WHEN s.screening_date IS NOT NULL AND p.date_of_birth IS NOT NULL THEN 'YEARS' END AS "AGEU",
    NULLIF(p.sex, '') AS "SEX",
    CASE p.status WHEN 'screen_failed' THEN 'SCRNFAIL' WHEN 'screening' THEN 'NOTASSGN' ELSE 'UCMSC' END AS "ARMCD",
    CASE p.status
        WHEN 'screen_failed' THEN 'Screen Failure'
        WHEN 'screening' THEN 'Not Assigned'
        ELSE 'UCMSC ' || trim_scale(study.dose_per_kg_cells / 1000000.0) || ' x 10^6 cells/kg IV'
    END AS "ARM"
FROM subjects_participant p
CROSS JOIN study
LEFT JOIN subjects_screening s ON s.participant_id = p.id
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C"
"""

# One record per failed criterion, numbered by its place in the screening's list; `criteria` holds
# each criterion's IETESTCD, IETEST, IECAT and IEORRES (a criterion not listed there is named by its key).
IE = """
WITH study AS (SELECT study_id FROM subjects_study ORDER BY id LIMIT 1),
criterion AS (
    SELECT * FROM jsonb_to_recordset(%(criteria)s::jsonb) AS c(key text, testcd text, test text, cat text, orres text)
)
SELECT
    study.study_id AS "STUDYID",
    'IE' AS "DOMAIN",
    COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS "USUBJID",
    failed.n AS "IESEQ",
    COALESCE(c.testcd, upper(substr(failed.key, 1, 8))) AS "IETESTCD",
    COALESCE(c.test, failed.key) AS "IETEST",
    c.cat AS "IECAT",
    c.orres AS "IEORRES",
    c.orres AS "IESTRESC",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    s.screening_date::text AS "IEDTC",
    s.screening_date - p.day1_date + CASE WHEN s.screening_date >= p.day1_date THEN 1 ELSE 0 END AS "IEDY"
FROM subjects_screening s
JOIN subjects_participant p ON p.id = s.participant_id
CROSS JOIN study
CROSS JOIN LATERAL jsonb_array_elements_text(s.failed_criteria::jsonb) WITH ORDINALITY AS failed(key, n)
LEFT JOIN criterion c ON c.key = failed.key
LEFT JOIN subjects_visit v ON v.participant_id = p.id AND v.visit_code = 'SCR'
WHERE s.failed_criteria::jsonb <> '[]'::jsonb
ORDER BY COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C", failed.n
"""

SV = """
WITH study AS (SELECT study_id FROM subjects_study ORDER BY id LIMIT 1)
SELECT
    study.study_id AS "STUDYID",
    'SV' AS "DOMAIN",
    COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS "USUBJID",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    v.actual_date::text AS "SVSTDTC",
    v.actual_date::text AS "SVENDTC",
    v.actual_date - p.day1_date + CASE WHEN v.actual_date >= p.day1_date THEN 1 ELSE 0 END AS "SVSTDY",
    v.actual_date - p.day1_date + CASE WHEN v.actual_date >= p.day1_date THEN 1 ELSE 0 END AS "SVENDY"
FROM subjects_visit v
JOIN subjects_participant p ON p.id = v.participant_id
CROSS JOIN study
WHERE v.actual_date IS NOT NULL
ORDER BY COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C", v.visitnum
"""

# One row per vital-signs record and test with a value; VSSEQ numbers the participant's rows. The
# subquery gives each record once, in order (OFFSET 0 keeps the planner from merging it into the outer
# query, where its expressions would be computed again for each of the record's tests); a record's
# tests follow in the order of the VALUES list (a nested loop over the ordered records), so the rows
# come in order without sorting them again (which at 10 000 participants costs a third of the export).
# The test comparing this statement with the Python rows holds the order.
VS = """
WITH study AS (SELECT study_id, time_zone FROM subjects_study ORDER BY id LIMIT 1)
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
    r.tpt AS "VSTPT",
    r.tptnum AS "VSTPTNUM",
    r.eltm AS "VSELTM",
    r.tptref AS "VSTPTREF",
    r.visitnum AS "VISITNUM",
    r.visit AS "VISIT",
    r.dtc AS "VSDTC",
    r.dy AS "VSDY"
FROM (
    SELECT x.id, x.measured_at, x.weight_kg, x.systolic_bp, x.diastolic_bp, x.heart_rate, x.temperature_c,
        x.respiratory_rate, x.spo2_percent, v.visitnum, v.visit_code AS visit,
        COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS usubjid,
        COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C" AS sort_key,
        to_char(site.local_time, 'YYYY-MM-DD"T"HH24:MI') AS dtc,
        site.local_time::date - p.day1_date + CASE WHEN site.local_time::date >= p.day1_date THEN 1 ELSE 0 END AS dy,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN 'PRE-INFUSION'
            WHEN 'during_infusion' THEN 'DURING INFUSION'
            WHEN 'post_infusion' THEN 'POST-INFUSION'
        END AS tpt,
        CASE x.timepoint
            WHEN 'pre_infusion' THEN 1 WHEN 'during_infusion' THEN 2 WHEN 'post_infusion' THEN 3
        END AS tptnum,
        CASE WHEN x.timepoint = 'during_infusion' THEN 'PT' || x.minutes_after_start || 'M' END AS eltm,
        CASE WHEN x.timepoint <> 'visit' THEN 'INFUSION START' END AS tptref
    FROM dosing_vitalsigns x
    JOIN subjects_participant p ON p.id = x.participant_id
    JOIN subjects_visit v ON v.id = x.visit_id
    CROSS JOIN study
    CROSS JOIN LATERAL (SELECT x.measured_at AT TIME ZONE study.time_zone AS local_time) AS site
    ORDER BY sort_key, x.measured_at, x.id
    OFFSET 0
) AS r
CROSS JOIN study
CROSS JOIN LATERAL (VALUES
    (1, 'WEIGHT', 'Weight', 'kg', r.weight_kg::text),
    (2, 'SYSBP', 'Systolic Blood Pressure', 'mmHg', r.systolic_bp::text),
    (3, 'DIABP', 'Diastolic Blood Pressure', 'mmHg', r.diastolic_bp::text),
    (4, 'PULSE', 'Pulse Rate', 'beats/min', r.heart_rate::text),
    (5, 'TEMP', 'Temperature', 'C', r.temperature_c::text),
    (6, 'RESP', 'Respiratory Rate', 'breaths/min', r.respiratory_rate::text),
    (7, 'OXYSAT', 'Oxygen Saturation', '%%', r.spo2_percent::text)
) AS t(n, testcd, test, unit, value)
WHERE t.value IS NOT NULL
ORDER BY r.sort_key, r.measured_at, r.id
"""

EX = """
WITH study AS (SELECT study_id, time_zone FROM subjects_study ORDER BY id LIMIT 1),
infusion AS (
    SELECT i.*,
        (i.start_time AT TIME ZONE study.time_zone) AS local_start,
        (i.end_time AT TIME ZONE study.time_zone) AS local_end
    FROM dosing_infusion i CROSS JOIN study
)
SELECT
    study.study_id AS "STUDYID",
    'EX' AS "DOMAIN",
    COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS "USUBJID",
    i.infusion_number AS "EXSEQ",
    'UCMSC' AS "EXTRT",
    trim_scale(i.administered_cells / 1000000.0)::text AS "EXDOSE",
    '10^6 cells' AS "EXDOSU",
    'SUSPENSION' AS "EXDOSFRM",
    NULLIF(i.route, '') AS "EXROUTE",
    NULLIF(i.product_lot, '') AS "EXLOT",
    v.visitnum AS "VISITNUM",
    v.visit_code AS "VISIT",
    to_char(i.local_start, 'YYYY-MM-DD"T"HH24:MI') AS "EXSTDTC",
    to_char(i.local_end, 'YYYY-MM-DD"T"HH24:MI') AS "EXENDTC",
    i.local_start::date - p.day1_date + CASE WHEN i.local_start::date >= p.day1_date THEN 1 ELSE 0 END AS "EXSTDY",
    i.local_end::date - p.day1_date + CASE WHEN i.local_end::date >= p.day1_date THEN 1 ELSE 0 END AS "EXENDY",
    CASE WHEN i.dose_deviation THEN 'Y' WHEN NOT i.dose_deviation THEN 'N' END AS "EXDOSDEV",
    NULLIF(i.deviation_reason, '') AS "EXADJ"
FROM infusion i
JOIN subjects_participant p ON p.id = i.participant_id
JOIN subjects_visit v ON v.id = i.visit_id
CROSS JOIN study
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C", i.infusion_number
"""

# One row per PASI assessment and item with a value (per region the four signs and area, then the
# total); RSSEQ numbers the participant's rows. In order as VS's are, without sorting them again.
RS = """
WITH study AS (SELECT study_id FROM subjects_study ORDER BY id LIMIT 1)
SELECT
    study.study_id AS "STUDYID",
    'RS' AS "DOMAIN",
    r.usubjid AS "USUBJID",
    row_number() OVER (PARTITION BY r.sort_key ORDER BY r.visitnum, r.id) AS "RSSEQ",
    t.testcd AS "RSTESTCD",
    t.test AS "RSTEST",
    'PASI' AS "RSCAT",
    t.value AS "RSORRES",
    t.unit AS "RSORRESU",
    t.value AS "RSSTRESC",
    t.value AS "RSSTRESN",
    r.visitnum AS "VISITNUM",
    r.visit AS "VISIT",
    r.dtc AS "RSDTC",
    r.dy AS "RSDY"
FROM (
    SELECT a.*, v.visitnum, v.visit_code AS visit,
        COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS usubjid,
        COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C" AS sort_key,
        a.assessment_date::text AS dtc,
        a.assessment_date - p.day1_date + CASE WHEN a.assessment_date >= p.day1_date THEN 1 ELSE 0 END AS dy
    FROM assessments_pasiassessment a
    JOIN subjects_participant p ON p.id = a.participant_id
    JOIN subjects_visit v ON v.id = a.visit_id
    CROSS JOIN study
    ORDER BY sort_key, v.visitnum, a.id
    OFFSET 0
) AS r
CROSS JOIN study
CROSS JOIN LATERAL (VALUES
    (1, 'HEADERY', 'Head and Neck Erythema', NULL, r.head_erythema::text),
    (2, 'HEADIND', 'Head and Neck Induration', NULL, r.head_induration::text),
    (3, 'HEADDESQ', 'Head and Neck Desquamation', NULL, r.head_desquamation::text),
    (4, 'HEADPCT', 'Head and Neck Area Involved', '%%', r.head_area_percent::text),
    (5, 'HEADAREA', 'Head and Neck Area Score', NULL, r.head_area_score::text),
    (6, 'UPLBERY', 'Upper Limbs Erythema', NULL, r.upper_limbs_erythema::text),
    (7, 'UPLBIND', 'Upper Limbs Induration', NULL, r.upper_limbs_induration::text),
    (8, 'UPLBDESQ', 'Upper Limbs Desquamation', NULL, r.upper_limbs_desquamation::text),
    (9, 'UPLBPCT', 'Upper Limbs Area Involved', '%%', r.upper_limbs_area_percent::text),
    (10, 'UPLBAREA', 'Upper Limbs Area Score', NULL, r.upper_limbs_area_score::text),
    (11, 'TRNKERY', 'Trunk Erythema', NULL, r.trunk_erythema::text),
    (12, 'TRNKIND', 'Trunk Induration', NULL, r.trunk_induration::text),
    (13, 'TRNKDESQ', 'Trunk Desquamation', NULL, r.trunk_desquamation::text),
    (14, 'TRNKPCT', 'Trunk Area Involved', '%%', r.trunk_area_percent::text),
    (15, 'TRNKAREA', 'Trunk Area Score', NULL, r.trunk_area_score::text),
    (16, 'LOLBERY', 'Lower Limbs Erythema', NULL, r.lower_limbs_erythema::text),
    (17, 'LOLBIND', 'Lower Limbs Induration', NULL, r.lower_limbs_induration::text),
    (18, 'LOLBDESQ', 'Lower Limbs Desquamation', NULL, r.lower_limbs_desquamation::text),
    (19, 'LOLBPCT', 'Lower Limbs Area Involved', '%%', r.lower_limbs_area_percent::text),
    (20, 'LOLBAREA', 'Lower Limbs Area Score', NULL, r.lower_limbs_area_score::text),
    (21, 'PASITOT', 'PASI Total Score', NULL, r.pasi_total::text)
) AS t(n, testcd, test, unit, value)
WHERE t.value IS NOT NULL
ORDER BY r.sort_key, r.visitnum, r.id
"""

# AEREL, AEACN and AEOUT: the CDISC term of each choice, from the parameters `relationship`,
# `action_taken` and `outcome` ({stored value: term}). AETRTEM is derived as
# safety.rules.is_treatment_emergent derives it: onset on or after Day 1 (no Day 1 yet: 'N').
AE = """
WITH study AS (SELECT study_id FROM subjects_study ORDER BY id LIMIT 1)
SELECT
    study.study_id AS "STUDYID",
    'AE' AS "DOMAIN",
    COALESCE(p.usubjid, study.study_id || '-' || p.site_id || '-' || p.screening_number) AS "USUBJID",
    e.ae_number AS "AESEQ",
    NULLIF(e.term, '') AS "AETERM",
    NULLIF(e.term, '') AS "AEDECOD",
    e.onset_date::text AS "AESTDTC",
    e.end_date::text AS "AEENDTC",
    CASE WHEN e.ongoing THEN 'ONGOING' END AS "AEENRF",
    e.grade AS "AETOXGR",
    CASE WHEN e.serious THEN 'Y' ELSE 'N' END AS "AESER",
    CASE WHEN e.death THEN 'Y' ELSE 'N' END AS "AESDTH",
    CASE WHEN e.life_threatening THEN 'Y' ELSE 'N' END AS "AESLIFE",
    CASE WHEN e.hospitalization THEN 'Y' ELSE 'N' END AS "AESHOSP",
    CASE WHEN e.disability THEN 'Y' ELSE 'N' END AS "AESDISAB",
    CASE WHEN e.congenital_anomaly THEN 'Y' ELSE 'N' END AS "AESCONG",
    CASE WHEN e.important_medical_event THEN 'Y' ELSE 'N' END AS "AESMIE",
    %(relationship)s::jsonb ->> e.relationship AS "AEREL",
    %(action_taken)s::jsonb ->> e.action_taken AS "AEACN",
    %(outcome)s::jsonb ->> e.outcome AS "AEOUT",
    e.onset_date - p.day1_date + CASE WHEN e.onset_date >= p.day1_date THEN 1 ELSE 0 END AS "AESTDY",
    e.end_date - p.day1_date + CASE WHEN e.end_date >= p.day1_date THEN 1 ELSE 0 END AS "AEENDY",
    CASE WHEN e.onset_date >= p.day1_date THEN 'Y' ELSE 'N' END AS "AETRTEM"
FROM safety_adverseevent e
JOIN subjects_participant p ON p.id = e.participant_id
CROSS JOIN study
WHERE NOT %(safety)s OR p.subject_id IS NOT NULL
ORDER BY COALESCE(p.usubjid, '~' || p.screening_number) COLLATE "C", e.ae_number
"""
