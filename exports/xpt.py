"""SAS XPORT version 5 (the transport format the FDA and PMDA take for SDTM), written as a stream.

Why our own writer rather than pyreadstat's `write_xport(df, path, file_format_version=5)`:
pyreadstat needs the whole dataset as one pandas (or polars) data frame in memory and writes to a
file path, never to a stream, so an export would hold every row twice (frame and file) before
the first byte leaves; and it takes no storage length for a character variable (readstat sizes
each one to its longest value in the frame), so the lengths that define.xml declares could not be
set. It would also bring pandas and NumPy into production for one file format. Version 5 is a
small, fixed, well-documented format (SAS technical note TS-140, "The record layout of a data set
in SAS transport (XPORT) format"), so it is written here: headers first, then each observation as
it comes, in chunks, with memory flat for any number of rows. pyreadstat and pandas are used only
by the tests, as independent readers.

The layout (TS-140): 80-byte records of ASCII; the library header and two real header records
(SAS version and creation/modification times `ddMMMyy:hh:mm:ss`); the member and descriptor
headers with the dataset name (≤ 8) and label (≤ 40); the NAMESTR header with the number of
variables, then one 140-byte NAMESTR per variable (type 1 numeric / 2 character, length, number,
name, label, position in the observation; big-endian integers; no formats), padded to a whole
record with blanks; the OBS header; then the observations back to back, the last record padded
with blanks. Numbers are 8-byte IBM System/360 hexadecimal floating point: every IEEE double
converts exactly (56 mantissa bits against 53), so 126.5, -3 or 0.1 read back as the same double.
One dataset (member) per file, as submissions have.

The caller's contract:
- Names (dataset and variables) are 1–8 characters: capital letters, digits, underscores, not
  starting with a digit. Labels are at most 40 printable ASCII characters.
- Each character variable declares its length (1–200 bytes) up front, as define.xml does: a
  stream cannot go back to widen a column. Take it from the dataset's metadata or a first pass
  (`max(length(...))` in SQL). A longer value is refused, never cut.
- Character values are printable ASCII only (space to tilde), as the agencies require of SAS V5
  files. Anything else — a Chinese verbatim term, an accented name, a tab or line break — is
  refused with XptError naming the dataset, observation and variable: transliterating would
  silently change clinical data, and which English text replaces a verbatim term is a decision
  for the data manager (the coded dictionary term, a translation recorded in the database). A
  caller that must fail before the first byte checks in its first pass (`value ~ '^[ -~]*$'`).
  None and "" are a blank (missing) value; trailing blanks do not survive (SAS pads with them).
- Numeric values are int, Decimal, float or a decimal literal string ("126.5", "-3"); None, ""
  and NaN are the SAS missing value `.`. A Decimal becomes the nearest double, as in SAS.
"""

import math
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

RECORD = 80
NAMESTR_LENGTH = 140
CHAR_MAX = 200
LABEL_MAX = 40
NAME_PATTERN = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SAS_VERSION = "9.4"  # the release whose V5 transport layout this follows; readers do not check it
MISSING = b"." + bytes(7)  # SAS's ordinary missing value `.`
CHUNK_SIZE = 64 * 1024

LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
DESCRIPTOR_HEADER = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000%04d00000000000000000000  "
OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "


class XptError(ValueError):
    pass


@dataclass(frozen=True)
class XptVariable:
    name: str
    label: str
    type: str  # "char" or "num"
    length: int = 8  # bytes: 1–200 for "char"; always 8 for "num"


def ibm_double(value: float) -> bytes:
    """`value` as an 8-byte IBM hexadecimal float: sign bit, excess-64 power of 16, 56-bit fraction."""
    if value == 0:
        return bytes(8)
    if not math.isfinite(value):
        raise ValueError(f"{value} has no IBM floating-point form")
    sign = 0x80 if value < 0 else 0
    fraction, exponent = math.frexp(abs(value))  # abs(value) = fraction * 2**exponent, 0.5 <= fraction < 1
    hex_exponent = -(-exponent // 4)  # the smallest power of 16 above the value
    shift = 4 * hex_exponent - exponent  # 0..3 bits: the fraction's first hex digit is then non-zero
    mantissa = int(fraction * 2 ** (56 - shift))  # exact: a double has 53 significant bits
    biased = hex_exponent + 64
    if not 0 <= biased <= 127:
        raise ValueError(f"{value} is outside the IBM floating-point range")
    return bytes([sign | biased]) + mantissa.to_bytes(7, "big")


def is_printable_ascii(text: str) -> bool:
    """Space to tilde only: what a character value or label may hold."""
    return text.isascii() and text.isprintable()


def xpt_chunks(
    *,
    dataset: str,
    label: str,
    variables: Sequence[XptVariable],
    rows: Iterable[Sequence],
    created: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """The XPORT v5 file of one dataset as byte chunks of about `chunk_size`, each row a sequence
    of values in the order of `variables`.

    The metadata is checked now (XptError before any byte); a row's value when its turn comes
    (XptError naming the observation and variable; the bytes already yielded are then no file).
    """
    _check_name(dataset, "dataset name")
    _check_label(label, f"dataset {dataset} label")
    if not variables:
        raise XptError(f"dataset {dataset} has no variables")
    if len(variables) > 9999:
        raise XptError(f"dataset {dataset} has more than 9999 variables")
    seen = set()
    for variable in variables:
        _check_variable(dataset, variable)
        if variable.name in seen:
            raise XptError(f"dataset {dataset}: variable {variable.name} appears twice")
        seen.add(variable.name)
    stamp = _timestamp(created or datetime.now(UTC))
    return _chunks(dataset, label, tuple(variables), rows, stamp, chunk_size)


def _chunks(dataset, label, variables, rows, stamp: bytes, chunk_size: int) -> Iterator[bytes]:
    yield _headers(dataset, label, variables, stamp)
    encoders = [_encoder(dataset, variable) for variable in variables]
    width = len(encoders)
    buffer = bytearray()
    size = 0
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise XptError(f"{dataset} observation {number}: {len(row)} values for {width} variables")
        for encode, value in zip(encoders, row, strict=True):
            buffer += encode(value, number)
        if len(buffer) >= chunk_size:
            size += len(buffer)
            yield bytes(buffer)
            buffer.clear()
    size += len(buffer)
    buffer += b" " * (-size % RECORD)
    if buffer:
        yield bytes(buffer)


def _headers(dataset: str, label: str, variables: tuple[XptVariable, ...], stamp: bytes) -> bytes:
    def text(value: str, width: int) -> bytes:
        return value.encode("ascii").ljust(width)

    real_header = b"SAS     SAS     SASLIB  " + text(SAS_VERSION, 8) + text("", 8) + text("", 24) + stamp
    member = b"SAS     " + text(dataset, 8) + b"SASDATA " + text(SAS_VERSION, 8) + text("", 8) + text("", 24) + stamp
    descriptor = stamp + text("", 16) + text(label, 40) + text("", 8)
    namestrs = bytearray()
    position = 0
    for number, variable in enumerate(variables, start=1):
        namestrs += struct.pack(
            ">hhhh8s40s8shhh2s8shhl52s",
            1 if variable.type == "num" else 2,
            0,  # nhfun: always 0
            variable.length,
            number,
            text(variable.name, 8),
            text(variable.label, 40),
            text("", 8),  # no format
            0,
            0,
            0,
            b"  ",
            text("", 8),  # no informat
            0,
            0,
            position,
            bytes(52),
        )
        position += variable.length
    namestrs += b" " * (-len(namestrs) % RECORD)
    header = b"".join(
        (
            LIBRARY_HEADER,
            real_header,
            stamp + text("", 64),
            MEMBER_HEADER,
            DESCRIPTOR_HEADER,
            member,
            descriptor,
            NAMESTR_HEADER % len(variables),
            bytes(namestrs),
            OBS_HEADER,
        )
    )
    assert len(header) % RECORD == 0
    return header


def _encoder(dataset: str, variable: XptVariable):
    name, length = variable.name, variable.length

    def fail(number: int, message: str):
        raise XptError(f"{dataset} observation {number}, variable {name}: {message}")

    if variable.type == "char":

        def encode_char(value, number: int) -> bytes:
            if value is None:
                return b" " * length
            if not isinstance(value, str):
                fail(number, f"expected text, got {type(value).__name__}")
            if not is_printable_ascii(value):
                bad = next(character for character in value if not " " <= character <= "~")
                fail(number, f"{bad!r} is not printable ASCII (SAS V5 transport files hold ASCII only)")
            if len(value) > length:
                fail(number, f"{len(value)} characters, longer than its length {length}")
            return value.encode("ascii").ljust(length)

        return encode_char

    def encode_num(value, number: int) -> bytes:
        if value is None or value == "":
            return MISSING
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            fail(number, f"expected a number, got {type(value).__name__}")
        if isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except InvalidOperation:
                fail(number, f"{value!r} is not a number")
        if (isinstance(value, Decimal) and value.is_nan()) or (isinstance(value, float) and math.isnan(value)):
            return MISSING
        try:
            return ibm_double(float(value))
        except (ValueError, OverflowError) as error:
            fail(number, str(error))

    return encode_num


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise XptError(f"{what} {name!r}: 1–8 capital letters, digits or underscores, not starting with a digit")


def _check_label(label: str, what: str) -> None:
    if not isinstance(label, str) or not is_printable_ascii(label):
        raise XptError(f"{what} {label!r}: printable ASCII only")
    if len(label) > LABEL_MAX:
        raise XptError(f"{what} {label!r}: {len(label)} characters, at most {LABEL_MAX}")


def _check_variable(dataset: str, variable: XptVariable) -> None:
    _check_name(variable.name, f"dataset {dataset}: variable name")
    _check_label(variable.label, f"dataset {dataset}: variable {variable.name} label")
    if variable.type == "char":
        if not isinstance(variable.length, int) or not 1 <= variable.length <= CHAR_MAX:
            raise XptError(f"dataset {dataset}: variable {variable.name} length {variable.length}: 1 to {CHAR_MAX}")
    elif variable.type == "num":
        if variable.length != 8:
            raise XptError(f"dataset {dataset}: numeric variable {variable.name} has length 8, not {variable.length}")
    else:
        raise XptError(f"dataset {dataset}: variable {variable.name} type {variable.type!r}: 'char' or 'num'")


def _timestamp(moment: datetime) -> bytes:
    """ddMMMyy:hh:mm:ss in UTC, with English month names whatever the locale."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{moment:%d}{MONTHS[moment.month - 1]}{moment:%y:%H:%M:%S}".encode("ascii")
