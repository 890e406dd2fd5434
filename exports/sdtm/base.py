"""What a dataset is: its variables (the metadata define.xml, XPT and the data dictionary read), its
PostgreSQL statement and its rows in Python.

One place per dataset (a module of this package) declares, for each variable in the dataset's
order, its label, type, core (Req/Exp/Perm), origin, codelist, derivation method and the rule it
follows; the statement that selects exactly those columns; and the same rows built in Python. The
rest is generic: CSV and XPT downloads, the SUPP-- dataset of the variables marked `supp`, EPOCH,
define.xml and the lengths of character variables.

On PostgreSQL a dataset with a statement is streamed by COPY (exports.streaming); the Python rows
serve SQLite (development) and datasets without a statement (trial design: a few rows from the
study configuration). A test requires both paths to give byte-identical CSV on PostgreSQL.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection

from exports import streaming
from subjects.models import Study

TYPES = ("text", "integer", "float", "date", "datetime", "durationDatetime")
NUMERIC = ("integer", "float")
CORES = ("Req", "Exp", "Perm")
ORIGINS = ("Collected", "Derived", "Assigned", "Protocol")


@dataclass(frozen=True)
class Variable:
    """One SDTM variable. `type` is define.xml's DataType: integer and float are SAS numeric, the
    others character (ISO 8601 dates and times are text). `comment` is the rule the value follows,
    written beside the dataset and published in define.xml. `crf` names the CRF field(s) a collected
    value comes from. `supp`: a non-standard variable, published in the dataset's SUPP-- dataset."""

    name: str
    label: str
    type: str = "text"
    core: str = "Perm"
    origin: str = "Derived"
    source: str = "Sponsor"  # def:Origin Source: Investigator, Sponsor, Subject, Vendor
    codelist: str | None = None
    method: str | None = None
    comment: str = ""
    crf: str = ""
    supp: bool = False
    evaluator: str | None = None  # QEVAL of a supplemental qualifier

    def __post_init__(self):
        assert self.type in TYPES and self.core in CORES and self.origin in ORIGINS, self

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC


@dataclass(frozen=True)
class ValueLevel:
    """Value-level metadata: `variable` when `where` (the test code variable) is `value`."""

    variable: str
    where: str
    value: str
    label: str
    type: str
    unit: str | None = None
    origin: str = "Collected"
    source: str = "Investigator"
    method: str | None = None
    crf: str = ""


@dataclass(frozen=True)
class Dataset:
    """A dataset. `variables` are in the order of the statement's columns and of each Python row,
    supplemental ones included; `rows(study, safety=False)` yields a tuple per row. The safety
    variant (`safety=True`: DMC reviewers) is the statement with `%(safety)s` true and
    `rows(study, safety=True)`: enrolled participants only, without `safety_hidden` variables."""

    name: str
    label: str
    category: str  # def:Class: SPECIAL PURPOSE, INTERVENTIONS, EVENTS, FINDINGS, TRIAL DESIGN, RELATIONSHIP
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]
    rows: Callable[..., Iterator[tuple]]
    sql: str | None = None
    params: Callable[[Study], dict] | None = None
    safety: bool = False
    safety_hidden: frozenset[str] = frozenset()
    value_level: tuple[ValueLevel, ...] = ()
    codelists: Callable[[Study], tuple] | None = None  # codelists of its own, from the study configuration
    comment: str = ""
    subject_level: bool = True  # False: trial design (no participant's data)
    parent: str | None = None  # a SUPP-- dataset's parent domain
    variable_index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "variable_index", {v.name: v for v in self.variables})
        assert len(self.variable_index) == len(self.variables), f"{self.name}: a variable appears twice"
        assert all(key in self.variable_index for key in self.keys), f"{self.name}: unknown key"

    @property
    def key(self) -> str:
        """The name in URLs and file names (`ae`)."""
        return self.name.lower()

    @property
    def all_columns(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def supplemental(self) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.supp)

    def columns(self, *, safety: bool = False) -> tuple[str, ...]:
        """The dataset's own columns (supplemental qualifiers go to SUPP--), in order."""
        hidden = self.safety_hidden if safety else frozenset()
        return tuple(v.name for v in self.variables if not v.supp and v.name not in hidden)

    def published_variables(self, *, safety: bool = False) -> tuple[Variable, ...]:
        return tuple(self.variable_index[name] for name in self.columns(safety=safety))

    def csv(self, *, safety: bool = False) -> Iterator[bytes]:
        """The dataset as CSV bytes: a header, then a line per row."""
        return self.csv_of(self.columns(safety=safety), safety=safety)

    def csv_of(self, columns: tuple[str, ...], *, safety: bool = False) -> Iterator[bytes]:
        if self.sql is not None and connection.vendor == "postgresql":
            return streaming.copy_csv(self.statement(columns), self.query_params(safety=safety))
        return streaming.rows_csv(columns, self.python_rows(columns, safety=safety))

    def statement(self, columns: tuple[str, ...]) -> str:
        if columns == self.all_columns:
            return self.sql
        selected = ", ".join(f'"{name}"' for name in columns)
        return f"SELECT {selected} FROM ({self.sql}) AS dataset"

    def query_params(self, *, safety: bool = False, study: Study | None = None) -> dict:
        extra = self.params(study or Study.current()) if self.params else {}
        return {**extra, "safety": safety}

    def python_rows(self, columns: tuple[str, ...], *, safety: bool = False) -> Iterator[tuple]:
        study = Study.current()
        kept = [self.all_columns.index(name) for name in columns]
        for row in self.rows(study, safety=safety):
            yield tuple(row[i] for i in kept)
