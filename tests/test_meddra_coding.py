"""Auto-coding of exact LLT matches in the active release, and an LLT's hierarchy for SDTM AE."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from coding.models import LowestLevelTerm, MeddraRelease
from coding.services import active_release, auto_code, hierarchy, llt_by_code
from coding.terms import term_key

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "meddra"


def load(directory: Path = FIXTURE) -> None:
    call_command("load_meddra", str(directory), "--loaded-by", "dana", stdout=StringIO())


@pytest.fixture
def release(db):
    load()
    return MeddraRelease.objects.get()


def newer_release(tmp_path: Path) -> None:
    """Release 0.2: "Head pain" became non-current, "Hot" is a new LLT of Pyrexia."""
    directory = tmp_path / "meddra-0.2"
    shutil.copytree(FIXTURE, directory)
    (directory / "meddra_release.asc").write_text("0.2$English$$$\n")
    llts = (
        (directory / "llt.asc")
        .read_text()
        .replace("90400002$Head pain$90300001$$$$$$$Y$$", "90400002$Head pain$90300001$$$$$$$N$$")
    )
    (directory / "llt.asc").write_text(llts + "90400008$Hot$90300002$$$$$$$Y$$\n")
    load(directory)


@pytest.mark.parametrize(
    "text, key",
    [
        ("Headache", "headache"),
        ("  HEAD \t pain\n", "head pain"),
        ("Ｐｙｒｅｘｉａ", "pyrexia"),  # full-width letters from a Chinese input method
        ("Infusion-related reaction", "infusion-related reaction"),  # punctuation is kept
        ("头痛", "头痛"),
        ("", ""),
    ],
)
def test_term_key_ignores_case_width_and_white_space_only(text, key):
    assert term_key(text) == key


@pytest.mark.parametrize(
    "verbatim, code",
    [
        ("Headache", 90300001),
        ("headache", 90300001),
        ("  HEAD   PAIN ", 90400002),
        ("Ｆｅｖｅｒ", 90400005),
        ("infusion related reaction", 90300003),
    ],
)
def test_an_exact_current_llt_is_found(release, verbatim, code):
    llt = auto_code(verbatim)
    assert llt.code == code and llt.release == release


@pytest.mark.parametrize(
    "verbatim",
    [
        "Cephalgia",  # non-current LLT: never coded to
        "Headaches",  # close is not exact
        "Infusion-related reaction",
        "Headache and fever",
        "头痛",
        "",
        "   ",
        None,
    ],
)
def test_anything_else_is_left_for_a_person(release, verbatim):
    assert auto_code(verbatim) is None


def test_nothing_is_coded_without_an_active_release(db):
    assert active_release() is None
    assert auto_code("Headache") is None
    assert llt_by_code(90300001) is None


def test_only_the_active_release_is_searched(release, tmp_path):
    newer_release(tmp_path)
    assert active_release().version == "0.2"
    assert auto_code("Hot").release.version == "0.2"
    assert auto_code("Head pain") is None  # non-current in 0.2, though current in 0.1
    assert llt_by_code(90400002).is_current is False
    assert llt_by_code(90400002, release=release).is_current is True
    assert llt_by_code(90400008, release=release) is None


def test_two_current_llts_with_one_name_are_not_guessed_between(release):
    pyrexia = LowestLevelTerm.objects.get(code=90300002)
    LowestLevelTerm.objects.create(
        release=release, code=90400009, name="PYREXIA", name_key="pyrexia", pt=pyrexia.pt, is_current=True
    )
    assert auto_code("Pyrexia") is None


def test_the_hierarchy_follows_the_primary_path_in_one_query(release, django_assert_num_queries):
    with django_assert_num_queries(1):
        llt = auto_code("Infusion reaction")
        coded = hierarchy(llt)
        variables = coded.sdtm()
    # the PT also sits under General disorders (a secondary path): the primary SOC is the one reported
    assert variables == {
        "AELLT": "Infusion reaction",
        "AELLTCD": 90400007,
        "AEDECOD": "Infusion related reaction",
        "AEPTCD": 90300003,
        "AEHLT": "Infusion complications",
        "AEHLTCD": 90200003,
        "AEHLGT": "Complications of procedures",
        "AEHLGTCD": 90100003,
        "AEBODSYS": "Procedural complications",
        "AEBDSYCD": 90000003,
        "AESOC": "Procedural complications",
        "AESOCCD": 90000003,
    }
    assert [term.code for term in coded] == [90400007, 90300003, 90200003, 90100003, 90000003]


def test_an_llt_by_code_comes_with_its_hierarchy(release, django_assert_num_queries):
    with django_assert_num_queries(1):
        coded = hierarchy(llt_by_code(90400005))
        assert (coded.llt.name, coded.pt.name, coded.hlt.name, coded.hlgt.name, coded.soc.name) == (
            "Fever",
            "Pyrexia",
            "Fever conditions",
            "Body temperature conditions",
            "General disorders",
        )
        assert coded.llt.release.version == "0.1"
