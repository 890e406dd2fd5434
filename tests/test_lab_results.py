"""Laboratory panels and results: derived standard value, range, flag, CTCAE grade, baseline and AE
prompt through the service; normal ranges as audited configuration with effective dates."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from labs.models import LabPanel, LabResult, NormalRange
from labs.services import lab_first_infusion_set, lab_panel_record, lab_result_record, normal_range_add
from tests import factories
from trialsite.audit import EditConflict

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 4, 20, 12, 0, tzinfo=TZ)
DAY1 = date(2024, 1, 10)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@pytest.fixture
def woman(coordinator):
    return factories.enrolled_participant(coordinator, sex="F", planned_day1=DAY1, day1=DAY1)


@pytest.fixture
def man(coordinator):
    return factories.enrolled_participant(coordinator, sex="M", initials="CD", planned_day1=DAY1, day1=DAY1)


def panel(participant, user, visit_code, day, hour=8, **values):
    results = {}
    for code, value in values.items():
        unit = ""
        if isinstance(value, tuple):
            value, unit = value
        results[code] = {"value": Decimal(value), "unit": unit}
    return lab_panel_record(
        participant=participant, user=user, visit_code=visit_code, collected_at=at(day, hour), results=results
    )


def result(participant, visit_code, test_code) -> LabResult:
    return LabResult.objects.get(participant=participant, panel__visit_code=visit_code, test_code=test_code)


def test_w4_alt_at_3_2_times_uln_is_grade_2_and_prompts_an_ae(woman, coordinator):
    # Female ALT ULN 40 U/L: 3.2 × ULN = 128.
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="128")
    alt = result(woman, "W4", "ALT")
    assert (alt.flag, alt.ctcae_grade, alt.prompts_ae) == ("HIGH", 2, True)
    assert (alt.lln, alt.uln) == (Decimal("7"), Decimal("40"))


@pytest.mark.parametrize(
    ("value", "grade"),
    [("120", 1), ("120.0001", 2), ("200", 2), ("200.0001", 3), ("800", 3), ("800.0001", 4), ("40", 0)],
)
def test_alt_grade_boundaries_against_the_womans_uln(woman, coordinator, value, grade):
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT=value)
    assert result(woman, "W4", "ALT").ctcae_grade == grade


def test_ranges_are_sex_specific(woman, man, coordinator):
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="45", HGB="120")
    panel(man, coordinator, "W4", date(2024, 2, 7), ALT="45", HGB="120")
    assert result(woman, "W4", "ALT").flag == "HIGH"  # F ULN 40
    assert result(man, "W4", "ALT").flag == "NORMAL"  # M ULN 50
    assert (result(woman, "W4", "HGB").flag, result(woman, "W4", "HGB").ctcae_grade) == ("NORMAL", 0)
    assert (result(man, "W4", "HGB").flag, result(man, "W4", "HGB").ctcae_grade) == ("LOW", 1)


def test_unit_conversion_is_exact_and_graded_in_standard_units(man, coordinator):
    # 1.1 mg/dL creatinine = 97.24 µmol/L; 2.0 mg/dL bilirubin = 34.2 µmol/L > 1.5 × 21 = 31.5 → G2.
    panel(man, coordinator, "W4", date(2024, 2, 7), CREAT=("1.1", "mg/dL"), BILI=("2.0", "mg/dL"), HGB=("9.9", "g/dL"))
    creat, bili, hgb = (result(man, "W4", code) for code in ("CREAT", "BILI", "HGB"))
    assert (creat.value, creat.unit, creat.value_standard, creat.flag) == (
        Decimal("1.1"),
        "mg/dL",
        Decimal("97.24"),
        "NORMAL",
    )
    assert (bili.value_standard, bili.ctcae_grade) == (Decimal("34.2"), 2)
    assert (hgb.value_standard, hgb.ctcae_grade) == (Decimal("99"), 2)


def test_unit_not_accepted_for_the_test_is_refused(man, coordinator):
    with pytest.raises(ValidationError) as error:
        panel(man, coordinator, "W4", date(2024, 2, 7), ALT=("30", "mg/dL"))
    assert "ALT_unit" in error.value.message_dict
    assert not LabPanel.objects.exists()


def test_baseline_above_uln_switches_alt_to_baseline_multiples_once_day1_is_known(woman, coordinator):
    panel(woman, coordinator, "W0", DAY1, hour=7, ALT="60")  # above ULN 40
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="150")
    w4 = result(woman, "W4", "ALT")
    assert w4.ctcae_grade == 2  # no Day 1 yet: 150 > 3 × 40
    lab_first_infusion_set(participant=woman, start_time=at(DAY1, 9), user=coordinator)
    w0, w4 = result(woman, "W0", "ALT"), result(woman, "W4", "ALT")
    assert w0.is_baseline and not w4.is_baseline
    assert (w4.ctcae_grade, w4.prompts_ae) == (1, False)  # 150 ≤ 3 × 60 = 180; > 1.5 × 60 = 90
    assert w4.history.first().history_change_reason.startswith("Derived again")


def test_a_w0_panel_after_the_infusion_started_is_refused(woman, coordinator):
    lab_first_infusion_set(participant=woman, start_time=at(DAY1, 9), user=coordinator)
    with pytest.raises(ValidationError) as error:
        panel(woman, coordinator, "W0", DAY1, hour=9, ALT="30")
    assert "collected_at" in error.value.message_dict


def test_prompt_only_when_worse_than_baseline(woman, coordinator):
    lab_first_infusion_set(participant=woman, start_time=at(DAY1, 9), user=coordinator)
    panel(woman, coordinator, "W0", DAY1, hour=7, PLAT="70")  # G2 at baseline
    panel(woman, coordinator, "W4", date(2024, 2, 7), PLAT="60")  # still G2
    panel(woman, coordinator, "W8", date(2024, 3, 6), PLAT="49")  # G3
    assert result(woman, "W4", "PLAT").prompts_ae is False
    assert result(woman, "W8", "PLAT").prompts_ae is True


def test_one_panel_per_visit_and_correction_needs_reason_and_version(woman, coordinator):
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="30")
    with pytest.raises(ValidationError):
        panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="31")
    alt = result(woman, "W4", "ALT")
    with pytest.raises(ValidationError):
        lab_result_record(participant=woman, user=coordinator, test_code="ALT", value=Decimal("31"), result=alt)
    with pytest.raises(EditConflict):
        lab_result_record(
            participant=woman,
            user=coordinator,
            test_code="ALT",
            value=Decimal("31"),
            result=alt,
            reason="typo",
            expected_version=7,
        )
    lab_result_record(
        participant=woman,
        user=coordinator,
        test_code="ALT",
        value=Decimal("130"),
        unit="U/L",
        result=alt,
        reason="transcription error",
        expected_version=1,
    )
    alt.refresh_from_db()
    assert (alt.value, alt.ctcae_grade, alt.version) == (Decimal("130"), 2, 2)


def test_clinically_significant_only_on_out_of_range_values_and_by_the_investigator(woman, coordinator, investigator):
    def enter(user, value):
        return lab_panel_record(
            participant=woman,
            user=user,
            visit_code="W4",
            collected_at=at(date(2024, 2, 7)),
            results={"ALT": {"value": Decimal(value), "clinically_significant": True}},
        )

    with pytest.raises(ValidationError) as error:
        enter(investigator, "30")
    assert "ALT_clinically_significant" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        enter(coordinator, "50")  # out of range, but the coordinator does not judge it
    assert "investigator" in error.value.message_dict["ALT_clinically_significant"][0]
    enter(investigator, "50")
    alt = result(woman, "W4", "ALT")
    assert alt.clinically_significant is True
    # The coordinator corrects the value and keeps the investigator's judgement as it is.
    lab_result_record(
        participant=woman, user=coordinator, test_code="ALT", value=Decimal("51"), unit="U/L",
        clinically_significant=True, result=alt, reason="transcription", expected_version=alt.version,
    )  # fmt: skip


def test_not_done_result_has_no_flag_or_grade(woman, coordinator):
    lab_panel_record(
        participant=woman,
        user=coordinator,
        visit_code="W4",
        collected_at=at(date(2024, 2, 7)),
        results={"ALT": {"not_done_reason": "Haemolysed sample"}},
    )
    alt = result(woman, "W4", "ALT")
    assert (alt.value, alt.flag, alt.ctcae_grade, alt.prompts_ae) == (None, "", None, False)


def test_new_normal_range_applies_from_its_effective_date(woman, coordinator):
    panel(woman, coordinator, "W4", date(2024, 2, 7), ALT="45")
    panel(woman, coordinator, "W8", date(2024, 3, 6), ALT="45")
    normal_range_add(
        user=coordinator,
        test_code="ALT",
        sex="F",
        age_from=0,
        age_to=None,
        effective_from=date(2024, 3, 6),
        lln="7",
        uln="50",
    )
    assert result(woman, "W4", "ALT").flag == "HIGH"  # still the old range
    assert result(woman, "W8", "ALT").flag == "NORMAL"  # on the change date: the new one
    assert NormalRange.objects.get(effective_from=date(2024, 3, 6)).history.count() == 1


def test_an_ambiguous_range_is_refused(coordinator, study):
    with pytest.raises(ValidationError):
        normal_range_add(
            user=coordinator,
            test_code="ALT",
            sex="",
            age_from=18,
            age_to=None,
            effective_from=date(2018, 1, 1),
            lln="5",
            uln="45",
        )


def test_first_infusion_from_dosing_sets_the_baseline(woman, coordinator):
    from dosing.services import infusion_record, vitals_record
    from subjects.models import Visit

    panel(woman, coordinator, "W0", DAY1, hour=7, ALT="30")
    w0 = Visit.objects.get(participant=woman, visit_code="W0")
    vitals_record(
        visit=w0, user=coordinator, timepoint="pre_infusion", measured_at=at(DAY1, 8), weight_kg=Decimal("63.5")
    )
    infusion_record(
        visit=w0,
        user=coordinator,
        administered_cells=127_000_000,
        product_lot="UC-1",
        viability_percent=Decimal("92.5"),
        thaw_time=at(DAY1, 8),
        start_time=at(DAY1, 9),
        end_time=at(DAY1, 10),
        volume_ml=Decimal("100.0"),
        whole_volume_given=True,
    )
    assert result(woman, "W0", "ALT").is_baseline is True
