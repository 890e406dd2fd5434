"""Read a MedDRA release from its standard ASCII distribution files (pure: no Django).

The files are those of the `MedAscii` folder of a MedDRA release: one record a line, fields
separated by `$`, each record ending with a `$`, the fixed layouts of the MedDRA Distribution File
Format Document. Every file has all its columns; the ones read here are marked *, the others
(legacy cross-references to WHO-ART, HARTS, COSTART, ICD-9/9-CM/10, J-ART, empty for years) are
ignored but must be present, so a truncated or shifted record is refused, never misread:

    soc.asc       (10) soc_code*, soc_name*, soc_abbrev*, soc_whoart_code, soc_harts_code,
                       soc_costart_sym, soc_icd9_code, soc_icd9cm_code, soc_icd10_code, soc_jart_code
    hlgt.asc       (9) hlgt_code*, hlgt_name*, hlgt_whoart_code, hlgt_harts_code, hlgt_costart_sym,
                       hlgt_icd9_code, hlgt_icd9cm_code, hlgt_icd10_code, hlgt_jart_code
    hlt.asc        (9) hlt_code*, hlt_name*, hlt_whoart_code, hlt_harts_code, hlt_costart_sym,
                       hlt_icd9_code, hlt_icd9cm_code, hlt_icd10_code, hlt_jart_code
    pt.asc        (11) pt_code*, pt_name*, null_field, pt_soc_code* (the primary SOC),
                       pt_whoart_code, pt_harts_code, pt_costart_sym, pt_icd9_code,
                       pt_icd9cm_code, pt_icd10_code, pt_jart_code
    llt.asc       (11) llt_code*, llt_name*, pt_code*, llt_whoart_code, llt_harts_code,
                       llt_costart_sym, llt_icd9_code, llt_icd9cm_code, llt_icd10_code,
                       llt_currency* (Y current / N non-current), llt_jart_code
    soc_hlgt.asc   (2) soc_code*, hlgt_code*
    hlgt_hlt.asc   (2) hlgt_code*, hlt_code*
    hlt_pt.asc     (2) hlt_code*, pt_code*
    mdhier.asc    (12) pt_code*, hlt_code*, hlgt_code*, soc_code*, pt_name, hlt_name, hlgt_name,
                       soc_name, soc_abbrev, null_field, pt_soc_code, primary_soc_fg* (Y / N)
    meddra_release.asc (optional) version*, language*, then unused fields

mdhier.asc lists every path of every PT (a PT may sit in several SOCs); the one path flagged Y is
the PT's primary path, which AEBODSYS/AESOC and the counts by SOC use. Codes are positive
integers (8 digits in MedDRA); a code is unique within its level, not across levels (the LLT that
repeats a PT carries the PT's code). Names are at most 100 characters.

The release is checked as a whole before anything is stored: every link names existing terms,
every PT has exactly one primary path, which agrees with pt_soc_code and the link files. A
problem raises MeddraFileError naming the file and, for a record, its line number.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

NAME_MAX = 100
ABBREVIATION_MAX = 10
VERSION_MAX = 20

# file -> number of fields of a record (the trailing `$` not counted)
FIELD_COUNTS = {
    "soc.asc": 10,
    "hlgt.asc": 9,
    "hlt.asc": 9,
    "pt.asc": 11,
    "llt.asc": 11,
    "soc_hlgt.asc": 2,
    "hlgt_hlt.asc": 2,
    "hlt_pt.asc": 2,
    "mdhier.asc": 12,
}
RELEASE_FILE = "meddra_release.asc"


class MeddraFileError(ValueError):
    def __init__(self, file: str, message: str, line: int | None = None):
        self.file, self.line = file, line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Term:
    code: int
    name: str


@dataclass(frozen=True)
class Soc(Term):
    abbreviation: str


@dataclass(frozen=True)
class Pt(Term):
    soc_code: int


@dataclass(frozen=True)
class Llt(Term):
    pt_code: int
    is_current: bool


@dataclass(frozen=True)
class PrimaryPath:
    hlt_code: int
    hlgt_code: int
    soc_code: int


@dataclass
class MeddraRelease:
    """A whole release as read from its files; the links are (upper code, lower code) pairs."""

    version: str
    language: str
    digest: str  # SHA-256 of the records read (not of the bytes: line ends and encoding aside)
    socs: list[Soc] = field(default_factory=list)
    hlgts: list[Term] = field(default_factory=list)
    hlts: list[Term] = field(default_factory=list)
    pts: list[Pt] = field(default_factory=list)
    llts: list[Llt] = field(default_factory=list)
    soc_hlgt: list[tuple[int, int]] = field(default_factory=list)
    hlgt_hlt: list[tuple[int, int]] = field(default_factory=list)
    hlt_pt: list[tuple[int, int]] = field(default_factory=list)
    primary_paths: dict[int, PrimaryPath] = field(default_factory=dict)  # pt code -> its primary path


def read_release(directory: str | Path, *, version: str | None = None, encoding: str = "utf-8") -> MeddraRelease:
    """The release in `directory`. Its version comes from meddra_release.asc or, without that file,
    from `version`; given both, they must agree."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MeddraFileError(str(directory), "not a directory")
    digest = hashlib.sha256()
    records = {}
    for name in FIELD_COUNTS:
        records[name] = list(_records(name, _read_bytes(directory, name), encoding))
        digest.update(name.encode() + b"\n")
        for _line, fields in records[name]:
            digest.update("$".join(fields).encode() + b"\n")
    release_version, language = _version(directory, version, encoding)
    release = MeddraRelease(version=release_version, language=language, digest=digest.hexdigest())

    socs = _terms(records["soc.asc"], "soc.asc", lambda code, f: Soc(code, f[1], _abbreviation(f[2])))
    hlgts = _terms(records["hlgt.asc"], "hlgt.asc", lambda code, f: Term(code, f[1]))
    hlts = _terms(records["hlt.asc"], "hlt.asc", lambda code, f: Term(code, f[1]))
    pts = _terms(records["pt.asc"], "pt.asc", lambda code, f: Pt(code, f[1], _reference(f[3], "pt_soc_code", socs)))
    llts = _terms(
        records["llt.asc"],
        "llt.asc",
        lambda code, f: Llt(code, f[1], _reference(f[2], "pt_code", pts), _flag(f[9], "llt_currency")),
    )
    release.socs, release.hlgts, release.hlts = list(socs.values()), list(hlgts.values()), list(hlts.values())
    release.pts, release.llts = list(pts.values()), list(llts.values())
    release.soc_hlgt = _links(records["soc_hlgt.asc"], "soc_hlgt.asc", (socs, "soc_code"), (hlgts, "hlgt_code"))
    release.hlgt_hlt = _links(records["hlgt_hlt.asc"], "hlgt_hlt.asc", (hlgts, "hlgt_code"), (hlts, "hlt_code"))
    release.hlt_pt = _links(records["hlt_pt.asc"], "hlt_pt.asc", (hlts, "hlt_code"), (pts, "pt_code"))
    release.primary_paths = _primary_paths(records["mdhier.asc"], release, socs, hlgts, hlts, pts)
    return release


def _read_bytes(directory: Path, name: str) -> bytes:
    path = directory / name
    if not path.is_file():
        raise MeddraFileError(name, f"missing from {directory}")
    return path.read_bytes()


def _records(name: str, content: bytes, encoding: str):
    """(line number, fields) of each non-empty line, checked for the trailing `$` and the field count."""
    expected = FIELD_COUNTS.get(name)
    for number, raw in enumerate(content.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte-order mark some editors add
        if not raw.strip():
            continue
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError:
            raise MeddraFileError(name, f"not {encoding} text", number) from None
        if not line.endswith("$"):
            raise MeddraFileError(name, "a record must end with '$'", number)
        fields = line[:-1].split("$")
        if expected is not None and len(fields) != expected:
            raise MeddraFileError(name, f"{len(fields)} fields, expected {expected}", number)
        yield number, [value.strip() for value in fields]


def _version(directory: Path, version: str | None, encoding: str) -> tuple[str, str]:
    file_version = language = ""
    path = directory / RELEASE_FILE
    if path.is_file():
        for number, fields in _records(RELEASE_FILE, path.read_bytes(), encoding):
            if len(fields) < 2 or not fields[0]:
                raise MeddraFileError(RELEASE_FILE, "expected version$language$", number)
            file_version, language = fields[0], fields[1]
            break
    if version and file_version and version != file_version:
        raise MeddraFileError(RELEASE_FILE, f"says version {file_version!r}, not {version!r}")
    chosen = version or file_version
    if not chosen:
        raise MeddraFileError(RELEASE_FILE, "missing: give the release's version")
    if len(chosen) > VERSION_MAX:
        raise MeddraFileError(RELEASE_FILE, f"version {chosen!r} longer than {VERSION_MAX} characters")
    return chosen, language


class _FieldError(ValueError):
    pass


def _code(value: str, column: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise _FieldError(f"{column} {value!r} is not a positive integer code")
    return int(value)


DEFINED_IN = {"soc_code": "soc.asc", "pt_soc_code": "soc.asc", "hlgt_code": "hlgt.asc", "hlt_code": "hlt.asc"}


def _reference(value: str, column: str, terms: dict) -> int:
    code = _code(value, column)
    if code not in terms:
        raise _FieldError(f"{column} {code} is not in {DEFINED_IN.get(column, 'pt.asc')}")
    return code


def _flag(value: str, column: str) -> bool:
    if value not in ("Y", "N"):
        raise _FieldError(f"{column} {value!r} is neither Y nor N")
    return value == "Y"


def _abbreviation(value: str) -> str:
    if len(value) > ABBREVIATION_MAX:
        raise _FieldError(f"soc_abbrev {value!r} longer than {ABBREVIATION_MAX} characters")
    return value


def _terms(records, name: str, build) -> dict[int, Term]:
    terms = {}
    for line, fields in records:
        try:
            code = _code(fields[0], "code")
            if not fields[1]:
                raise _FieldError("empty name")
            if len(fields[1]) > NAME_MAX:
                raise _FieldError(f"name longer than {NAME_MAX} characters")
            term = build(code, fields)
        except _FieldError as error:
            raise MeddraFileError(name, str(error), line) from None
        if code in terms:
            raise MeddraFileError(name, f"code {code} appears twice", line)
        terms[code] = term
    return terms


def _links(records, name: str, upper: tuple[dict, str], lower: tuple[dict, str]) -> list[tuple[int, int]]:
    """(upper, lower) code pairs; `upper`/`lower` are the terms of each level and their column's name."""
    links = []
    seen = set()
    for line, fields in records:
        try:
            pair = (_reference(fields[0], upper[1], upper[0]), _reference(fields[1], lower[1], lower[0]))
        except _FieldError as error:
            raise MeddraFileError(name, str(error), line) from None
        if pair not in seen:  # a repeated link adds nothing
            seen.add(pair)
            links.append(pair)
    return links


def _primary_paths(records, release: MeddraRelease, socs, hlgts, hlts, pts) -> dict[int, PrimaryPath]:
    hlt_pt, hlgt_hlt, soc_hlgt = set(release.hlt_pt), set(release.hlgt_hlt), set(release.soc_hlgt)
    paths = {}
    name = "mdhier.asc"
    for line, fields in records:
        try:
            pt = _reference(fields[0], "pt_code", pts)
            hlt = _reference(fields[1], "hlt_code", hlts)
            hlgt = _reference(fields[2], "hlgt_code", hlgts)
            soc = _reference(fields[3], "soc_code", socs)
            primary = _flag(fields[11], "primary_soc_fg")
        except _FieldError as error:
            raise MeddraFileError(name, str(error), line) from None
        if (hlt, pt) not in hlt_pt or (hlgt, hlt) not in hlgt_hlt or (soc, hlgt) not in soc_hlgt:
            raise MeddraFileError(name, f"path {pt} < {hlt} < {hlgt} < {soc} is not in the link files", line)
        if not primary:
            continue
        if pt in paths:
            raise MeddraFileError(name, f"PT {pt} has a second primary path", line)
        if pts[pt].soc_code != soc:
            raise MeddraFileError(name, f"PT {pt}'s primary SOC {soc} is not its pt_soc_code in pt.asc", line)
        paths[pt] = PrimaryPath(hlt_code=hlt, hlgt_code=hlgt, soc_code=soc)
    for pt in pts:
        if pt not in paths:
            raise MeddraFileError(name, f"PT {pt} has no primary path (primary_soc_fg Y)")
    return paths
