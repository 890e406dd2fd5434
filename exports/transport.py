"""SAS XPORT v5 files of the SDTM datasets and the submission package (a ZIP streamed as it is written).

Every XPT file is written from the dataset's own CSV stream (exports.sdtm: COPY on PostgreSQL, the
Python rows elsewhere), so an XPT holds exactly what the CSV holds. Two passes, both in bounded memory:
1. `profile` reads the CSV once for the length of each character variable (the longest value; define.xml
   declares the same lengths) and finds the first value a SAS V5 transport file cannot hold;
2. `xpt_chunks` of exports.xpt writes the file from a second read.

Agencies take ASCII only in SAS V5 files. A value that is not printable ASCII (a Chinese verbatim
term, a line break) or longer than 200 characters is refused before the first byte is sent, naming the
dataset, the variable and the record (USUBJID and --SEQ): the data manager then records the English
term (or codes the AE: AEDECOD is English) or shortens the text, with a reason in the audit trail.
Nothing is transliterated or cut: that would change clinical data silently.
"""

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from exports import xpt
from exports.sdtm import Dataset
from exports.streaming import CHUNK_BYTES


@dataclass
class Untransportable(Exception):
    """A value that cannot go into a SAS V5 transport file: where it is and why."""

    dataset: str
    variable: str
    record: dict
    problem: str

    def __str__(self) -> str:
        where = ", ".join(f"{name} {value}" for name, value in self.record.items())
        return f"{self.dataset}.{self.variable} ({where}): {self.problem}"

    def as_json(self) -> dict:
        return {
            "detail": f"The {self.dataset} dataset cannot be written as SAS XPORT v5: {self}.",
            "dataset": self.dataset,
            "variable": self.variable,
            "record": self.record,
            "problem": self.problem,
            "to_do": (
                "SAS V5 transport files hold printable ASCII only, at most 200 characters per value. Correct the "
                "value in the record named (e.g. the English verbatim term), with a reason for the change; "
                "the CSV export keeps the value as entered."
            ),
        }


@dataclass(frozen=True)
class Profile:
    """What the first pass found: each character variable's longest value, and the number of rows."""

    lengths: dict[str, int]
    rows: int


def csv_rows(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """The records of a CSV byte stream (header first), read incrementally: line breaks inside quoted
    values are kept (csv reads records across the lines it is given)."""
    decoder = codecs.getincrementaldecoder("utf-8")()

    def lines() -> Iterator[str]:
        pending = ""
        for chunk in chunks:
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending

    return csv.reader(lines(), strict=True)


def _record(dataset: Dataset, header: list[str], row: list[str], number: int) -> dict:
    seq = f"{dataset.name}SEQ"
    record = {name: row[header.index(name)] for name in ("USUBJID", seq) if name in header}
    return record or {"row": number}


def profile(dataset: Dataset, *, safety: bool = False, check: bool = True) -> Profile:
    """First pass: the length of each character variable (at least 1) and the row count. With `check`,
    raises Untransportable for the first value a V5 transport file cannot hold."""
    records = csv_rows(dataset.csv(safety=safety))
    header = next(records)
    variables = [dataset.variable_index[name] for name in header]
    lengths = {v.name: 1 for v in variables if not v.numeric}
    count = 0
    for count, row in enumerate(records, start=1):
        for variable, value in zip(variables, row, strict=True):
            if variable.numeric or not value:
                continue
            if check and not xpt.is_printable_ascii(value):
                bad = next(character for character in value if not " " <= character <= "~")
                raise Untransportable(dataset.name, variable.name, _record(dataset, header, row, count),
                                      f"{bad!r} is not printable ASCII")  # fmt: skip
            if check and len(value) > xpt.CHAR_MAX:
                raise Untransportable(dataset.name, variable.name, _record(dataset, header, row, count),
                                      f"{len(value)} characters, more than {xpt.CHAR_MAX}")  # fmt: skip
            if len(value) > lengths[variable.name]:
                lengths[variable.name] = len(value)
    return Profile(lengths=lengths, rows=count)


def xpt_variables(dataset: Dataset, found: Profile, *, safety: bool = False) -> list[xpt.XptVariable]:
    return [
        xpt.XptVariable(v.name, v.label, "num")
        if v.numeric
        else xpt.XptVariable(v.name, v.label, "char", found.lengths[v.name])
        for v in dataset.published_variables(safety=safety)
    ]


def xpt_stream(
    dataset: Dataset, found: Profile, *, safety: bool = False, created: datetime | None = None
) -> Iterator[bytes]:
    """Second pass: the dataset's XPORT v5 file, from its CSV stream. Nothing is read before the first
    chunk is asked for: the response, not the view, starts the COPY (the view's connection is then free)."""
    variables = xpt_variables(dataset, found, safety=safety)
    created = created or timezone.now()

    def chunks() -> Iterator[bytes]:
        records = csv_rows(dataset.csv(safety=safety))
        next(records)
        rows = (tuple(value or None for value in row) for row in records)
        yield from xpt.xpt_chunks(dataset=dataset.name, label=dataset.label, variables=variables, rows=rows,
                                  created=created)  # fmt: skip

    return chunks()


class _Sink:
    """What zipfile writes to: kept until the stream takes it (zipfile needs no seeking: it writes
    each member's sizes after its data)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


def zip_stream(members: Iterable[tuple[str, Callable[[], Iterable[bytes]]]], *, created: datetime) -> Iterator[bytes]:
    """A ZIP of (file name, the function giving its bytes) in order, streamed in chunks of about
    CHUNK_BYTES: each member is compressed as its bytes come, so memory does not grow with the files."""
    sink = _Sink()
    stamp = timezone.localtime(created).timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                for chunk in chunks():
                    member.write(chunk)
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
