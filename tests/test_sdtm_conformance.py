"""The SDTM datasets of the synthetic study at seed 2018 against the rules CDISC CORE (SDTMIG 3.4) applies.

CDISC's rules engine (cdisc-rules-engine on PyPI) cannot run here: its releases need Python 3.12 (the
project runs 3.11), its wheel ships no rules, and the rules cache lives in the engine's GitHub
repository or behind the CDISC Library API (a key), neither reachable offline. So these tests check
the same rules directly on the exported files: EPOCH present and right on every subject-level record
(none before consent), VSELTM constant within VSTPTNUM, keys unique, ARM empty (with ARMNRS) for people
not treated, every Required variable present and non-empty, every Expected variable present, and values
in their codelists.
"""

import csv
import io
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command

from bench import synthetic
from exports import sdtm
from exports.sdtm.terminology import CODELISTS
from safety.ae_coding import adverse_events_auto_code
from subjects import schedule
from subjects.models import Study
from tests.conftest import logged_in

pytestmark = pytest.mark.slow

SUBJECT_LEVEL_WITH_EPOCH = ("ae", "ex", "ie", "rs", "vs", "ds", "lb", "dv", "cm")
DATES = {"ae": "AESTDTC", "ex": "EXSTDTC", "ie": "IEDTC", "rs": "RSDTC", "vs": "VSDTC", "ds": "DSSTDTC", "lb": "LBDTC",
         "dv": "DVSTDTC", "cm": "CMSTDTC"}  # fmt: skip
ALWAYS_DATED = ("ae", "ex", "ie", "rs", "vs", "ds", "lb")  # the others may have no (whole) date: then no EPOCH


def write_dictionary(directory, terms) -> None:
    """A MedDRA-format dictionary of invented codes with one LLT = PT per term (not MedDRA data)."""
    directory.mkdir()
    files = {
        "meddra_release.asc": "9.9$English$$$\n",
        "soc.asc": "91000001$Invented disorders$Inv$$$$$$$$\n",
        "hlgt.asc": "91100001$Invented group terms$$$$$$$$\n",
        "hlt.asc": "91200001$Invented terms$$$$$$$$\n",
        "soc_hlgt.asc": "91000001$91100001$\n",
        "hlgt_hlt.asc": "91100001$91200001$\n",
    }
    pt, llt, hlt_pt, mdhier = [], [], [], []
    for n, term in enumerate(terms, start=1):
        code = 91300000 + n
        pt.append(f"{code}${term}$$91000001$$$$$$$$\n")
        llt.append(f"{code}${term}${code}$$$$$$$Y$$\n")
        hlt_pt.append(f"91200001${code}$\n")
        mdhier.append(f"{code}$91200001$91100001$91000001${term}$Invented terms$Invented group terms$"
                      "Invented disorders$Inv$$91000001$Y$\n")  # fmt: skip
    files |= {"pt.asc": "".join(pt), "llt.asc": "".join(llt), "hlt_pt.asc": "".join(hlt_pt),
              "mdhier.asc": "".join(mdhier)}  # fmt: skip
    for name, text in files.items():
        (directory / name).write_text(text)


def export_study(data_manager, tmp_path) -> dict[str, list[dict[str, str]]]:
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=False):
        synthetic.generate_study(participants=300, seed=2018)
    terms = [t[0] for t in synthetic.AE_TERMS] + list(synthetic.SEVERE_TERMS) + list(synthetic.FATAL_TERMS)
    write_dictionary(tmp_path / "meddra", terms)
    call_command("load_meddra", str(tmp_path / "meddra"), "--loaded-by", "dana", stdout=io.StringIO())
    assert adverse_events_auto_code(user=data_manager) > 0
    client = logged_in(data_manager)
    files = {}
    for key in sdtm.DATASETS:
        text = b"".join(client.get(f"/api/v1/exports/sdtm/{key}.csv").streaming_content).decode()
        files[key] = list(csv.DictReader(io.StringIO(text)))
    return files


def check_every_required_variable_is_present_and_filled_every_expected_one_present(exported):
    for key, dataset in sdtm.DATASETS.items():
        rows = exported[key]
        assert rows or not dataset.subject_level, key
        header = list(rows[0]) if rows else []
        for variable in dataset.published_variables():
            if variable.core in ("Req", "Exp"):
                assert variable.name in header, (key, variable.name)
            if variable.core == "Req":
                empty = [row for row in rows if not row[variable.name]]
                assert not empty, (key, variable.name, empty[:2])


def _day(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if len(text) >= 10 else None  # a partial date tells no day


def check_epoch_is_on_every_subject_level_record_and_follows_the_protocol(exported):
    """Recomputed from the files alone: consent (DM RFICDTC), Day 1 (DM RFSTDTC), the W8 infusion (EX), who
    ended (DS). Every record of the datasets always dated has one; a date before consent has none."""
    day1 = {row["USUBJID"]: _day(row["RFSTDTC"]) for row in exported["dm"]}
    consent = {row["USUBJID"]: _day(row["RFICDTC"]) for row in exported["dm"]}
    last_dosing = Study.current().visit_definitions.filter(dosing=True).order_by("-visitnum").first().code
    w8, last = {}, defaultdict(lambda: None)
    for row in exported["ex"]:
        start = _day(row["EXSTDTC"])
        last[row["USUBJID"]] = max(filter(None, (last[row["USUBJID"]], start)))
        if row["VISIT"] == last_dosing:
            w8[row["USUBJID"]] = start
    ended = {row["USUBJID"] for row in exported["ds"] if row["DSDECOD"] in ("COMPLETED", "DEATH", "OTHER")}
    checked, without = 0, Counter()
    for key in SUBJECT_LEVEL_WITH_EPOCH:
        for row in exported[key]:
            subject = row["USUBJID"]
            end = schedule.treatment_end(last_dosing_visit_infusion=w8.get(subject), last_infusion=last[subject],
                                         dosing_over=subject in ended)  # fmt: skip
            expected = schedule.epoch(_day(row[DATES[key]]), day1=day1[subject], treatment_end=end,
                                      consent=consent[subject])  # fmt: skip
            assert (row["EPOCH"] or None) == expected, (key, row)
            assert row["EPOCH"] or key not in ALWAYS_DATED, (key, row)
            checked += 1
            without[key] += not row["EPOCH"]
    assert checked > 40_000 and without["cm"] > 0  # medications started before consent, or on a partial date
    epochs = {row["EPOCH"] for key in SUBJECT_LEVEL_WITH_EPOCH for row in exported[key]} - {""}
    assert epochs == {"SCREENING", "TREATMENT", "FOLLOW-UP"}


def check_vseltm_is_constant_within_each_time_point(exported):
    seen: dict[str, set] = defaultdict(set)
    names: dict[str, set] = defaultdict(set)
    for row in exported["vs"]:
        if row["VSTPTNUM"]:
            seen[row["VSTPTNUM"]].add((row["VSELTM"], row["VSTPTREF"]))
            names[row["VSTPTNUM"]].add(row["VSTPT"])
            assert row["VSELTM"] and row["VSTPTREF"], row
    assert len(seen) >= 4
    assert {tptnum: len(values) for tptnum, values in seen.items()} == dict.fromkeys(seen, 1)
    assert {tptnum: len(values) for tptnum, values in names.items()} == dict.fromkeys(names, 1)


def check_keys_are_unique(exported):
    for key, dataset in sdtm.DATASETS.items():
        counts = Counter(tuple(row[name] for name in dataset.keys) for row in exported[key])
        duplicates = [k for k, n in counts.items() if n > 1]
        assert not duplicates, (key, duplicates[:3])


def check_baseline_flag_is_once_per_test_of_each_dosed_participant(exported):
    flagged = defaultdict(int)
    for row in exported["vs"]:
        if row["VSLOBXFL"] == "Y":
            flagged[(row["USUBJID"], row["VSTESTCD"])] += 1
            assert row["EPOCH"] in ("SCREENING", "TREATMENT"), row  # measured before the first infusion
    assert flagged and set(flagged.values()) == {1}
    dosed = {row["USUBJID"] for row in exported["dm"] if row["RFXSTDTC"]}
    assert {subject for subject, _test in flagged} == dosed


def check_arm_is_empty_with_a_reason_for_everyone_not_treated(exported):
    reasons = defaultdict(int)
    for row in exported["dm"]:
        treated = bool(row["RFXSTDTC"])
        if row["ARMNRS"]:
            reasons[row["ARMNRS"]] += 1
            assert not row["ACTARMCD"] and not row["ACTARM"], row
            if row["ARMNRS"] in ("SCREEN FAILURE", "NOT ASSIGNED"):
                assert not row["ARMCD"] and not row["ARM"], row
        else:
            assert treated and row["ARMCD"] == row["ACTARMCD"] == "UCMSC", row
    assert reasons["SCREEN FAILURE"] > 10 and reasons["ASSIGNED, NOT TREATED"] > 0


def check_values_are_in_their_codelists(exported):
    study = Study.current()
    codelists = dict(CODELISTS)
    for dataset in sdtm.DATASETS.values():
        if dataset.codelists:
            codelists |= {c.key: c for c in dataset.codelists(study)}
    for key, dataset in sdtm.DATASETS.items():
        for variable in dataset.published_variables():
            codelist = codelists.get(variable.codelist)
            if codelist is None or codelist.dictionary:
                continue
            allowed = {value for value, _decode in codelist.items}
            found = {row[variable.name] for row in exported[key]} - {""}
            assert found <= allowed, (key, variable.name, found - allowed)


def test_the_synthetic_study_meets_the_sdtmig_rules(db, data_manager, tmp_path):
    """One generated study (300 participants, seed 2018, AEs coded with an invented dictionary), every check."""
    exported = export_study(data_manager, tmp_path)
    check_every_required_variable_is_present_and_filled_every_expected_one_present(exported)
    check_epoch_is_on_every_subject_level_record_and_follows_the_protocol(exported)
    check_vseltm_is_constant_within_each_time_point(exported)
    check_keys_are_unique(exported)
    check_baseline_flag_is_once_per_test_of_each_dosed_participant(exported)
    check_arm_is_empty_with_a_reason_for_everyone_not_treated(exported)
    check_values_are_in_their_codelists(exported)
