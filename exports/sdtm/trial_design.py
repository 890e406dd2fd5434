"""Trial design datasets: TS (summary), TA (arms), TE (elements), TV (visits), TI (criteria).

A few rows each, built from the study configuration (study ID, title, enrollment target, dose, the
visit schedule, eligibility thresholds) and the registry record (exports.sdtm.registry_record); the
same on every database (no statement). They hold no participant's data, so DMC reviewers may export
them too. The planned arm and epochs are those DM, EPOCH and SE-style derivations use:
SCREENING (element SCRN) until Day 1, TREATMENT (UCMSC) to the infusion at the last dosing visit,
FOLLOW-UP (FU) to the last visit.
"""

from django.db.models import Min

from exports.sdtm import common, registry_record
from exports.sdtm.base import Dataset, Variable
from exports.sdtm.ie import criteria
from exports.sdtm.terminology import Codelist
from subjects import schedule
from subjects.models import Participant, Study

SDTMIG_VERSION, SDTM_VERSION = "3.4", "2.0"
ELEMENTS = (  # (ETCD, ELEMENT, EPOCH)
    ("SCRN", "Screening", schedule.SCREENING_EPOCH),
    (common.TREATMENT, "UCMSC infusions", schedule.TREATMENT_EPOCH),
    ("FU", "Follow-up", schedule.FOLLOW_UP_EPOCH),
)
V = Variable


def _weeks(study: Study) -> tuple[int, int]:
    """(week of the last dosing visit, week of the last visit) of the visit schedule."""
    definitions = [d for d in study.visit_definitions.all() if d.week is not None]
    last_dosing = max((d.week for d in definitions if d.dosing), default=0)
    return last_dosing, max((d.week for d in definitions), default=0)


# -- TS ------------------------------------------------------------------------------------------

TS_VARIABLES = (
    common.studyid(),
    common.domain("TS"),
    V("TSSEQ", "Sequence Number", type="integer", core="Req", comment="Numbers the values of one parameter."),
    V("TSGRPID", "Group ID"),
    V("TSPARMCD", "Trial Summary Parameter Short Name", core="Req", origin="Assigned", codelist="TSPARMCD"),
    V("TSPARM", "Trial Summary Parameter", core="Req", origin="Assigned"),
    V("TSVAL", "Parameter Value", core="Exp", origin="Protocol",
      comment="From the study configuration or the registry record (ClinicalTrials.gov NCT03745417)."),
    V("TSVALNF", "Parameter Value Null Flavor", comment="NA when a value does not exist yet."),
    V("TSVALCD", "Parameter Value Code", core="Exp"),
    V("TSVCDREF", "Name of the Reference Terminology", core="Exp"),
    V("TSVCDVER", "Version of the Reference Terminology", core="Exp"),
)  # fmt: skip


def ts_parameters(study: Study) -> list[tuple[str, str, str | None, str | None]]:
    """(TSPARMCD, TSPARM, TSVAL, TSVCDREF) of every trial summary parameter, in order."""
    rr = registry_record
    _last_dosing, last_week = _weeks(study)
    first_consent = Participant.objects.aggregate(first=Min("consent_date"))["first"]
    enrolled = Participant.objects.filter(subject_id__isnull=False).count()
    return [
        ("TITLE", "Trial Title", study.title, None),
        ("REGID", "Registry Identifier", study.registry_id, rr.REGISTRY),
        ("SPONSOR", "Clinical Study Sponsor", rr.SPONSOR, None),
        ("TPHASE", "Trial Phase Classification", rr.PHASE, None),
        ("STYPE", "Study Type", rr.STUDY_TYPE, None),
        ("INTMODEL", "Intervention Model", rr.INTERVENTION_MODEL, None),
        ("TINDTP", "Trial Intent Type", rr.INTENT, None),
        *(("TTYPE", "Trial Type", value, None) for value in rr.TRIAL_TYPES),
        ("INDIC", "Trial Disease/Condition Indication", rr.INDICATION, None),
        ("TDIGRP", "Diagnosis Group", rr.INDICATION, None),
        ("OBJPRIM", "Trial Primary Objective", rr.PRIMARY_OBJECTIVE, None),
        ("OUTMSPRI", "Primary Outcome Measure", rr.PRIMARY_OUTCOME, None),
        ("TRT", "Investigational Therapy or Treatment", rr.INTERVENTION, None),
        ("INTTYPE", "Intervention Type", rr.INTERVENTION_TYPE, None),
        ("DOSE", "Dose per Administration", common.millions(study.dose_per_kg_cells), None),
        ("DOSU", "Dose Units", rr.DOSE_UNIT, None),
        ("DOSFRQ", "Dosing Frequency", rr.FREQUENCY, None),
        ("ROUTE", "Route of Administration", rr.ROUTE, None),
        ("NARMS", "Planned Number of Arms", "1", None),
        ("RANDOM", "Trial is Randomized", rr.RANDOMIZED, None),
        ("TBLIND", "Trial Blinding Schema", rr.BLINDING, None),
        ("TCNTRL", "Control Type", rr.CONTROL, None),
        ("PLANSUB", "Planned Number of Subjects", str(study.enrollment_target), None),
        ("ACTSUB", "Actual Number of Subjects", str(enrolled), None),
        ("AGEMIN", "Planned Minimum Age of Subjects", f"P{study.min_age}Y", None),
        ("AGEMAX", "Planned Maximum Age of Subjects", f"P{study.max_age}Y", None),
        ("SEXPOP", "Sex of Participants", rr.SEX_POPULATION, None),
        ("HLTSUBJI", "Healthy Subject Indicator", rr.HEALTHY_SUBJECTS, None),
        ("FCNTRY", "Planned Country of Investigational Sites", rr.COUNTRY, "ISO 3166-1 alpha-3"),
        ("LENGTH", "Trial Length", f"P{last_week}W", None),
        ("SSTDTC", "Study Start Date", common.iso_date(first_consent), None),
        ("SDTIGVER", "SDTM IG Version", SDTMIG_VERSION, None),
        ("SDTMVER", "SDTM Version", SDTM_VERSION, None),
    ]


def ts_rows(study: Study, *, safety: bool = False):
    seen: dict[str, int] = {}
    for code, name, value, reference in ts_parameters(study):
        seen[code] = seen.get(code, 0) + 1
        yield (study.study_id, "TS", seen[code], None, code, name, value, None if value else "NA", None, reference,
               None)  # fmt: skip


def ts_codelists(study: Study) -> tuple[Codelist, ...]:
    parameters = dict.fromkeys((code, name) for code, name, _v, _r in ts_parameters(study))
    return (Codelist("TSPARMCD", "Trial Summary Parameter Test Code", tuple(parameters), nci_code="C66738"),)


TS = Dataset(
    name="TS", label="Trial Summary", category="TRIAL DESIGN", structure="One record per trial summary parameter value",
    keys=("STUDYID", "TSPARMCD", "TSSEQ"), variables=TS_VARIABLES, rows=ts_rows, safety=True, subject_level=False,
    codelists=ts_codelists,
)  # fmt: skip

# -- TA and TE -----------------------------------------------------------------------------------

TA_VARIABLES = (
    common.studyid(),
    common.domain("TA"),
    V("ARMCD", "Planned Arm Code", core="Req", origin="Protocol"),
    V("ARM", "Description of Planned Arm", core="Req", origin="Protocol"),
    V("TAETORD", "Planned Order of Element within Arm", type="integer", core="Req", origin="Protocol"),
    V("ETCD", "Element Code", core="Req", origin="Protocol"),
    V("ELEMENT", "Description of Element", origin="Protocol"),
    V("TABRANCH", "Branch", core="Exp", origin="Protocol", comment="None: one arm, no branch."),
    V("TATRANS", "Transition Rule", core="Exp", origin="Protocol", comment="None: elements follow in order."),
    V("EPOCH", "Epoch", core="Req", origin="Protocol", codelist="EPOCH"),
)  # fmt: skip


def ta_rows(study: Study, *, safety: bool = False):
    arm = common.arm(study)
    for order, (code, element, epoch) in enumerate(ELEMENTS, start=1):
        yield study.study_id, "TA", common.TREATMENT, arm, order, code, element, None, None, epoch


TA = Dataset(
    name="TA", label="Trial Arms", category="TRIAL DESIGN", structure="One record per planned Element per Arm",
    keys=("STUDYID", "ARMCD", "TAETORD"), variables=TA_VARIABLES, rows=ta_rows, safety=True, subject_level=False,
)  # fmt: skip

TE_VARIABLES = (
    common.studyid(),
    common.domain("TE"),
    V("ETCD", "Element Code", core="Req", origin="Protocol"),
    V("ELEMENT", "Description of Element", core="Req", origin="Protocol"),
    V("TESTRL", "Rule for Start of Element", core="Req", origin="Protocol"),
    V("TEENRL", "Rule for End of Element", origin="Protocol"),
    V("TEDUR", "Planned Duration of Element", type="durationDatetime", origin="Protocol"),
)  # fmt: skip


def te_rows(study: Study, *, safety: bool = False):
    last_dosing, last_week = _weeks(study)
    window = study.screening_window_days
    yield (study.study_id, "TE", "SCRN", "Screening", "Informed consent",
           f"The day before the first infusion (Day 1), 1 to {window} days after screening", None)  # fmt: skip
    yield (study.study_id, "TE", common.TREATMENT, "UCMSC infusions", "The first infusion (Day 1)",
           f"The day of the infusion at week {last_dosing}, or of the last infusion when the participant withdraws",
           f"P{last_dosing * 7 + 1}D")  # fmt: skip
    yield (study.study_id, "TE", "FU", "Follow-up", f"The day after the infusion at week {last_dosing}",
           f"The visit at week {last_week}", f"P{(last_week - last_dosing) * 7}D")  # fmt: skip


TE = Dataset(
    name="TE", label="Trial Elements", category="TRIAL DESIGN", structure="One record per planned Element",
    keys=("STUDYID", "ETCD"), variables=TE_VARIABLES, rows=te_rows, safety=True, subject_level=False,
)  # fmt: skip

# -- TV and TI -----------------------------------------------------------------------------------

TV_VARIABLES = (
    common.studyid(),
    common.domain("TV"),
    V("VISITNUM", "Visit Number", type="float", core="Req", origin="Protocol"),
    V("VISIT", "Visit Name", origin="Protocol"),
    V("VISITDY", "Planned Study Day of Visit", type="integer", origin="Protocol",
      comment="Day 1 + 7 x week; none for screening."),
    V("ARMCD", "Planned Arm Code", core="Exp", origin="Protocol", comment="Empty: the schedule of every arm."),
    V("TVSTRL", "Visit Start Rule", core="Req", origin="Protocol"),
    V("TVENRL", "Visit End Rule", origin="Protocol"),
)  # fmt: skip


def visit_rule(definition, screening_window_days: int) -> str:
    """TVSTRL: when a visit of the schedule happens (PROTOCOL section 3)."""
    if definition.week is None:
        return f"Screening: 1 to {screening_window_days} days before the planned Day 1"
    if definition.week == 0:
        return f"Day 1: the first infusion, 1 to {screening_window_days} days after screening"
    day = definition.week * 7 + 1
    return (f"Day {day} (Day 1 + {definition.week} weeks), from {definition.window_before_days} days before to "
            f"{definition.window_after_days} days after")  # fmt: skip


def tv_rows(study: Study, *, safety: bool = False):
    for d in study.visit_definitions.order_by("visitnum"):
        day = None if d.week is None else d.week * 7 + 1
        yield (study.study_id, "TV", d.visitnum, d.code, day, None, visit_rule(d, study.screening_window_days),
               "The same day" + (", with an infusion" if d.dosing else ""))  # fmt: skip


TV = Dataset(
    name="TV", label="Trial Visits", category="TRIAL DESIGN", structure="One record per planned Visit per Arm",
    keys=("STUDYID", "VISITNUM"), variables=TV_VARIABLES, rows=tv_rows, safety=True, subject_level=False,
)  # fmt: skip

TI_VARIABLES = (
    common.studyid(),
    common.domain("TI"),
    V("IETESTCD", "Incl/Excl Criterion Short Name", core="Req", origin="Protocol", codelist="IETESTCD"),
    V("IETEST", "Inclusion/Exclusion Criterion", core="Req", origin="Protocol",
      comment="Thresholds from the study configuration; exclusions are the site default list (PROTOCOL section 2)."),
    V("IECAT", "Inclusion/Exclusion Category", core="Req", origin="Protocol", codelist="IECAT"),
)  # fmt: skip


def ti_rows(study: Study, *, safety: bool = False):
    for code, test, category in criteria(study):
        yield study.study_id, "TI", code, test, category


def ie_codelists(study: Study) -> tuple[Codelist, ...]:
    return (Codelist("IETESTCD", "Inclusion/Exclusion Criterion Short Name (sponsor)",
                     tuple((code, test) for code, test, _c in criteria(study))),)  # fmt: skip


TI = Dataset(
    name="TI", label="Trial Inclusion/Exclusion Criteria", category="TRIAL DESIGN",
    structure="One record per I/E criterion", keys=("STUDYID", "IETESTCD"), variables=TI_VARIABLES, rows=ti_rows,
    safety=True, subject_level=False, codelists=ie_codelists,
)  # fmt: skip
