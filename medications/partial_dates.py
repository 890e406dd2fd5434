"""Partial dates: a year, a year and month, or a full date (CRF "Concomitant medication",
"Medical history"; ISO 8601 as SDTM's --STDTC/--ENDTC write them: ``2024``, ``2024-03``).

Pure, no Django. A partial date stands for every day it may be; the rules decide on its
``earliest`` and ``latest`` possible day, whichever is the conservative side for the question
asked (see ``medications.rules`` and ``medications.history``), never on an imputed middle.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from medications.messages import Message, gettext_noop

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day; ``day`` needs ``month``."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(Message(gettext_noop("year must be an integer 1-9999, got %(year)r"), year=self.year))
        if self.month is None:
            if self.day is not None:
                raise ValueError(Message(gettext_noop("a day needs a month")))
            return
        if isinstance(self.month, bool) or not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise ValueError(Message(gettext_noop("month must be an integer 1-12, got %(month)r"), month=self.month))
        if self.day is not None:
            last_day = calendar.monthrange(self.year, self.month)[1]
            if isinstance(self.day, bool) or not isinstance(self.day, int) or not 1 <= self.day <= last_day:
                month = f"{self.year}-{self.month:02d}"
                raise ValueError(
                    Message(
                        gettext_noop("day must be an integer 1-%(last_day)s in %(month)s, got %(day)r"),
                        last_day=last_day,
                        month=month,
                        day=self.day,
                    )
                )

    @classmethod
    def from_date(cls, value: date) -> "PartialDate":
        """The complete partial date of a ``datetime.date``."""
        return cls(value.year, value.month, value.day)

    @classmethod
    def parse(cls, text: str) -> "PartialDate":
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError for anything else."""
        match = _ISO_PARTIAL.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                Message(
                    gettext_noop("%(text)r is not a date (YYYY-MM-DD), a year and month (YYYY-MM) or a year (YYYY)"),
                    text=text,
                )
            )
        year, month, day = (int(part) if part is not None else None for part in match.groups())
        return cls(year, month, day)

    @property
    def is_complete(self) -> bool:
        """True when the day is known."""
        return self.day is not None

    @property
    def earliest(self) -> date:
        """The first day this partial date may be."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        """The last day this partial date may be."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def isoformat(self) -> str:
        """ISO 8601 with only the known parts: ``2024``, ``2024-03``, ``2024-03-15``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def __str__(self) -> str:
        return self.isoformat()


def as_partial(value: "PartialDate | date") -> PartialDate:
    """``value`` as a PartialDate (a ``date`` becomes a complete one); TypeError otherwise."""
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, date):
        return PartialDate.from_date(value)
    raise TypeError(f"expected a date or a PartialDate, got {type(value).__name__}")


def period_errors(
    start: "PartialDate | date | None",
    end: "PartialDate | date | None",
    *,
    ongoing: bool,
    today: date,
) -> dict[str, list[str]]:
    """{field: [messages]} for a start/end/ongoing period; empty when consistent.

    Ongoing exactly when there is no end; neither start nor end in the future (a partial date
    is refused only when its earliest day is after ``today``); the end not before the start,
    refused only when that is certain (latest possible end before earliest possible start).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    start_partial = as_partial(start) if start is not None else None
    end_partial = as_partial(end) if end is not None else None
    if start_partial is not None and start_partial.earliest > today:
        add("start_date", Message(gettext_noop("The start date cannot be in the future.")))
    if end_partial is not None and end_partial.earliest > today:
        add("end_date", Message(gettext_noop("The end date cannot be in the future.")))
    if ongoing and end_partial is not None:
        add(
            "end_date",
            Message(gettext_noop("Something ongoing has no end date: clear the end date or untick ongoing.")),
        )
    if not ongoing and end_partial is None:
        add("ongoing", Message(gettext_noop("Give an end date, or tick ongoing when it has not ended.")))
    if start_partial is not None and end_partial is not None and end_partial.latest < start_partial.earliest:
        add("end_date", Message(gettext_noop("The end date cannot be before the start date.")))
    return errors
