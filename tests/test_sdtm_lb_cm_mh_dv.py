"""SDTM LB, CM, MH and DV rows from records entered through the services; ODM items and the data
dictionary's mapping of the new forms."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deviations.services import deviation_record
from exports.forms import dictionary
from labs.services import lab_first_infusion_set, lab_panel_record
from medications.services import cm_record, mh_record
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")
DAY1 = date(2024, 1, 10)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def recorded(coordinator, investigator):
    p = factories.enrolled_participant(coordinator, sex="F", planned_day1=DAY1, day1=DAY1)
    lab_first_infusion_set(participant=p, start_time=datetime(2024, 1, 10, 9, tzinfo=TZ), user=coordinator)
    lab_panel_record(
        participant=p,
        user=coordinator,
        visit_code="W0",
        collected_at=datetime(2024, 1, 10, 7, tzinfo=TZ),
        results={"ALT": {"value": Decimal("30")}, "CREAT": {"value": Decimal("0.9"), "unit": "mg/dL"}},
    )
    lab_panel_record(
        participant=p,
        user=investigator,
        visit_code="W4",
        collected_at=datetime(2024, 2, 7, 8, tzinfo=TZ),
        results={
            "ALT": {"value": Decimal("128"), "clinically_significant": True},
            "PLAT": {"not_done_reason": "Clotted"},
        },
    )
    cm_record(
        participant=p,
        user=coordinator,
        medication="Paracetamol",
        medication_class="other",
        indication="Headache",
        dose=Decimal("500"),
        dose_unit="mg",
        frequency="PRN",
        route="ORAL",
        start_date="",
        end_date="2024-01",
        ongoing=False,
    )
    mh_record(
        participant=p,
        user=coordinator,
        category="psoriasis",
        term="Plaque psoriasis",
        psoriasis_type="plaque",
        start_date="2015",
        end_date="",
        ongoing=True,
    )
    deviation_record(
        participant=p,
        user=coordinator,
        category="procedure",
        description="PASI by untrained assessor",
        deviation_date=date(2024, 2, 7),
    )
    return p


def export(user, key) -> list[dict]:
    response = logged_in(user).get(f"/api/v1/exports/sdtm/{key}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_lb_rows(recorded, data_manager):
    rows = export(data_manager, "lb")
    by = {(r["VISIT"], r["LBTESTCD"]): r for r in rows}
    alt4 = by[("W4", "ALT")]
    assert (alt4["LBORRES"], alt4["LBSTRESN"], alt4["LBSTNRHI"], alt4["LBNRIND"], alt4["LBTOXGR"]) == (
        "128",
        "128",
        "40",
        "HIGH",
        "2",
    )
    assert by[("W0", "ALT")]["LBLOBXFL"] == "Y" and by[("W0", "ALT")]["EPOCH"] == "TREATMENT"  # Day 1 by date
    creat = by[("W0", "CREAT")]
    assert (creat["LBORRES"], creat["LBORRESU"], creat["LBSTRESC"], creat["LBSTRESU"]) == (
        "0.9",
        "mg/dL",
        "79.56",
        "umol/L",
    )
    plat = by[("W4", "PLAT")]
    assert (plat["LBSTAT"], plat["LBREASND"], plat["LBORRES"]) == ("NOT DONE", "Clotted", "")
    supp = export(data_manager, "supplb")
    assert [(r["QNAM"], r["QVAL"], r["IDVARVAL"]) for r in supp] == [("LBCLSIG", "Y", alt4["LBSEQ"])]


def test_cm_mh_dv_rows(recorded, data_manager):
    (cm,) = export(data_manager, "cm")
    assert (cm["CMTRT"], cm["CMSTDTC"], cm["CMSTRTPT"], cm["CMENDTC"]) == ("Paracetamol", "", "BEFORE", "2024-01")
    assert [r["QVAL"] for r in export(data_manager, "suppcm")] == ["CONCOMITANT"]  # a partial end reaching Day 1
    (mh,) = export(data_manager, "mh")
    assert (mh["MHCAT"], mh["MHSCAT"], mh["MHSTDTC"], mh["MHENRTPT"]) == ("PSORIASIS", "PLAQUE", "2015", "ONGOING")
    dv = export(data_manager, "dv")
    assert {r["DVCAT"] for r in dv} >= {"PROCEDURE", "DOSING"}  # by hand, and the missed infusions
    manual = next(r for r in dv if r["DVSCAT"] == "RECORDED BY HAND")
    assert (manual["DVTERM"], manual["DVSTDTC"], manual["EPOCH"]) == (
        "PASI by untrained assessor",
        "2024-02-07",
        "TREATMENT",
    )


def test_cm_epoch_from_a_whole_start_date_none_before_consent(recorded, coordinator, data_manager):
    """Consent 2024-01-02, Day 1 2024-01-10: the epoch of CMSTDTC when it is a whole date on or after
    consent; a medication started before consent (pre-study) or on a partial date has none."""
    for start in ("2023-12-20", "2024-01-02", "2024-01-09", "2024-01-10", "2024-01"):
        cm_record(participant=recorded, user=coordinator, medication=f"Emollient {start}", medication_class="other",
                  indication="Dry skin", dose=Decimal("1"), dose_unit="g", frequency="QD", route="TOPICAL",
                  start_date=start, end_date="", ongoing=True)  # fmt: skip
    epochs = {r["CMTRT"]: r["EPOCH"] for r in export(data_manager, "cm")}
    assert epochs == {
        "Paracetamol": "",  # started before the collection period: no CMSTDTC
        "Emollient 2023-12-20": "",
        "Emollient 2024-01-02": "SCREENING",
        "Emollient 2024-01-09": "SCREENING",
        "Emollient 2024-01-10": "TREATMENT",
        "Emollient 2024-01": "",
    }


def test_odm_and_dictionary_carry_the_new_forms(recorded, data_manager):
    entries = {(e["form"], e["field"]): e for e in dictionary()}
    assert entries[("lab_result", "value")]["sdtm_variable"] == "LBORRES"
    assert entries[("concomitant_medication", "medication")]["sdtm_variable"] == "CMTRT"
    assert entries[("medical_history", "term")]["sdtm_variable"] == "MHTERM"
    assert entries[("protocol_deviation", "description")]["sdtm_variable"] == "DVTERM"
    odm = b"".join(logged_in(data_manager).get("/api/v1/exports/odm.xml").streaming_content).decode()
    assert 'ItemGroupOID="IG.LAB_RESULT"' in odm or "LAB_RESULT" in odm.upper()
