"""`manage.py load_meddra DIR`: a release from the MedDRA ASCII files, whole or not at all.

The fixture (tests/fixtures/meddra) is invented data in the MedDRA file layout, not MedDRA.
"""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from coding import loader
from coding.models import (
    HighLevelGroupTerm,
    HighLevelTerm,
    LowestLevelTerm,
    MeddraRelease,
    PreferredTerm,
    SystemOrganClass,
)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "meddra"
LEVELS = (SystemOrganClass, HighLevelGroupTerm, HighLevelTerm, PreferredTerm, LowestLevelTerm)


def load(directory=FIXTURE, *options) -> str:
    out = StringIO()
    call_command("load_meddra", str(directory), "--loaded-by", "dana", *options, stdout=out)
    return out.getvalue()


def copy_fixture(tmp_path: Path, version: str = "0.2") -> Path:
    directory = tmp_path / f"meddra-{version}"
    shutil.copytree(FIXTURE, directory)
    (directory / "meddra_release.asc").write_text(f"{version}$English$$$\n")
    return directory


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


def row_counts() -> list[int]:
    return [model.objects.count() for model in (MeddraRelease, *LEVELS)]


def test_the_fixture_loads_whole_and_becomes_the_active_release(db):
    output = load()
    assert output.strip() == (
        "Loaded MedDRA 0.1 English: 3 SOCs, 4 HLGTs, 4 HLTs, 3 PTs, 7 LLTs. It is now the active release."
    )
    release = MeddraRelease.objects.get()
    assert (release.version, release.language, release.loaded_by, release.is_active) == ("0.1", "English", "dana", True)
    assert len(release.digest) == 64 and release.loaded_at and release.activated_at == release.loaded_at

    reaction = PreferredTerm.objects.get(code=90300003)
    assert sorted(reaction.hlts.values_list("code", flat=True)) == [90200003, 90200004]  # two SOCs: multiaxial
    assert (reaction.primary_hlt.code, reaction.primary_hlgt.code, reaction.primary_soc.code) == (
        90200003,
        90100003,
        90000003,
    )
    assert list(HighLevelTerm.objects.get(code=90200004).hlgts.values_list("code", flat=True)) == [90100004]
    assert list(HighLevelGroupTerm.objects.get(code=90100004).socs.values_list("code", flat=True)) == [90000002]
    assert SystemOrganClass.objects.get(code=90000003).abbreviation == "Proc"

    headache = LowestLevelTerm.objects.get(code=90300001)  # the LLT repeating its PT has the PT's code
    assert (headache.name, headache.pt.code, headache.is_current, headache.name_key) == (
        "Headache",
        90300001,
        True,
        "headache",
    )
    assert LowestLevelTerm.objects.get(name="Cephalgia").is_current is False


def test_loading_the_same_release_again_changes_nothing(db):
    load()
    before = row_counts()
    release = MeddraRelease.objects.get()
    output = load()
    assert (
        output.strip()
        == "MedDRA 0.1 English was already loaded from these files; no term changed. It is the active release."
    )
    assert row_counts() == before
    assert MeddraRelease.objects.get().loaded_at == release.loaded_at


def test_the_same_version_from_other_files_is_refused(db, tmp_path):
    load()
    before = row_counts()
    changed = copy_fixture(tmp_path, version="0.1")
    replace_line(changed / "llt.asc", 2, "90400002$Head ache$90300001$$$$$$$Y$$")
    with pytest.raises(CommandError, match=r"MedDRA 0\.1 is already loaded .* by dana\) from other files"):
        load(changed)
    assert row_counts() == before
    assert LowestLevelTerm.objects.filter(name="Head pain").exists()


def test_a_new_release_is_kept_beside_the_old_one_and_replaces_it_as_active(db, tmp_path):
    load()
    newer = copy_fixture(tmp_path, version="0.2")
    output = load(newer)
    assert "Loaded MedDRA 0.2 English" in output and output.strip().endswith("It is now the active release.")
    releases = dict(MeddraRelease.objects.values_list("version", "is_active"))
    assert releases == {"0.1": False, "0.2": True}
    assert LowestLevelTerm.objects.filter(code=90400002).count() == 2  # one row per release

    # going back: the older release is not loaded again, only made active
    output = load(FIXTURE)
    assert "already loaded" in output and output.strip().endswith("It is now the active release.")
    assert dict(MeddraRelease.objects.values_list("version", "is_active")) == {"0.1": True, "0.2": False}


def test_a_release_may_be_loaded_without_becoming_active(db, tmp_path):
    load()
    output = load(copy_fixture(tmp_path, version="0.2"), "--no-activate")
    assert output.strip().endswith("It is not the active release.")
    assert MeddraRelease.objects.get(is_active=True).version == "0.1"


def test_a_missing_file_is_named_and_nothing_is_written(db, tmp_path):
    directory = copy_fixture(tmp_path)
    (directory / "hlt_pt.asc").unlink()
    with pytest.raises(CommandError, match=r"^hlt_pt\.asc: missing from "):
        load(directory)
    assert row_counts() == [0] * 6


@pytest.mark.parametrize(
    "file, line, text, message",
    [
        ("soc.asc", 2, "90000002$General disorders$Genrl$$$$$$$", r"soc\.asc, line 2: 9 fields, expected 10"),
        ("hlt.asc", 3, "90200003$Infusion complications$$$$$$$", r"hlt\.asc, line 3: 8 fields, expected 9"),
        ("pt.asc", 1, "90300001$Headache$$90000001$$$$$$$J01", r"pt\.asc, line 1: a record must end with '\$'"),
        ("llt.asc", 4, "9030000X$Pyrexia$90300002$$$$$$$Y$$", r"llt\.asc, line 4: code '9030000X' is not a positive"),
        ("llt.asc", 5, "90400005$Fever$90399999$$$$$$$Y$$", r"llt\.asc, line 5: pt_code 90399999 is not in pt\.asc"),
        ("llt.asc", 5, "90400005$Fever$90300002$$$$$$$yes$$", r"llt\.asc, line 5: llt_currency 'yes' is neither Y"),
        ("llt.asc", 5, "90400002$Fever$90300002$$$$$$$Y$$", r"llt\.asc, line 5: code 90400002 appears twice"),
        ("hlgt.asc", 2, "90100002$$$$$$$$$", r"hlgt\.asc, line 2: empty name"),
        (
            "pt.asc",
            2,
            "90300002$Pyrexia$$90000009$$$$$$$$",
            r"pt\.asc, line 2: pt_soc_code 90000009 is not in soc\.asc",
        ),
        ("soc_hlgt.asc", 4, "90000002$90100009$", r"soc_hlgt\.asc, line 4: hlgt_code 90100009 is not in hlgt\.asc"),
        ("hlt_pt.asc", 1, "90200001$$", r"hlt_pt\.asc, line 1: pt_code '' is not a positive integer code"),
        (
            "mdhier.asc",
            4,
            "90300003$90200004$90100004$90000002$Infusion related reaction$Infusion site conditions$"
            "Administration site conditions$General disorders$Genrl$$90000003$Y$",
            r"mdhier\.asc, line 4: PT 90300003 has a second primary path",
        ),
        (
            "mdhier.asc",
            1,
            "90300001$90200001$90100001$90000001$Headache$Headache types$Head pain conditions$"
            "Nervous system disorders$Nerv$$90000001$N$",
            r"mdhier\.asc: PT 90300001 has no primary path",
        ),
        (
            "mdhier.asc",
            2,
            "90300002$90200001$90100001$90000001$Pyrexia$Headache types$Head pain conditions$"
            "Nervous system disorders$Nerv$$90000002$Y$",
            r"mdhier\.asc, line 2: path 90300002 < 90200001 < 90100001 < 90000001 is not in the link files",
        ),
        ("meddra_release.asc", 1, "$English$$$", r"meddra_release\.asc, line 1: expected version\$language\$"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_written(db, tmp_path, file, line, text, message):
    directory = copy_fixture(tmp_path)
    replace_line(directory / file, line, text)
    with pytest.raises(CommandError, match=message):
        load(directory)
    assert row_counts() == [0] * 6


def test_text_that_is_not_in_the_encoding_is_refused_with_its_line(db, tmp_path):
    directory = copy_fixture(tmp_path)
    lines = (directory / "llt.asc").read_bytes().splitlines()
    lines[2] = b"90400003$C\xe9phalgie$90300001$$$$$$$N$$"  # Latin-1, not UTF-8
    (directory / "llt.asc").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(CommandError, match=r"llt\.asc, line 3: not utf-8 text"):
        load(directory)
    load(directory, "--encoding", "latin-1")
    assert LowestLevelTerm.objects.filter(name="Céphalgie").exists()


def test_windows_line_ends_and_a_byte_order_mark_are_read_as_the_same_release(db, tmp_path):
    directory = copy_fixture(tmp_path, version="0.1")
    for path in directory.glob("*.asc"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    load(directory)
    assert (
        LowestLevelTerm.objects.count() == 7
        and SystemOrganClass.objects.get(code=90000001).name == "Nervous system disorders"
    )
    assert "already loaded from these files" in load(FIXTURE)


def test_the_version_can_be_given_when_the_release_file_is_absent(db, tmp_path):
    directory = copy_fixture(tmp_path)
    (directory / "meddra_release.asc").unlink()
    with pytest.raises(CommandError, match=r"meddra_release\.asc: missing: give the release's version"):
        load(directory)
    load(directory, "--meddra-version", "0.3")
    assert MeddraRelease.objects.get().version == "0.3"
    with pytest.raises(CommandError, match=r"says version '0\.2', not '0\.4'"):
        load(copy_fixture(tmp_path / "other"), "--meddra-version", "0.4")


def test_a_failure_while_storing_leaves_nothing_half_saved(db, monkeypatch):
    def fail(name):  # reached after the SOCs, HLGTs, HLTs and PTs are inserted
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "term_key", fail)
    with pytest.raises(RuntimeError):
        load()
    assert row_counts() == [0] * 6


def test_deleting_a_release_deletes_its_terms_only(db, tmp_path):
    load()
    load(copy_fixture(tmp_path))
    MeddraRelease.objects.get(version="0.1").delete()
    assert row_counts() == [1, 3, 4, 4, 3, 7]
