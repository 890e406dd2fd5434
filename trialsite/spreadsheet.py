"""CSV cells for spreadsheets: shown as text, never run."""

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_safe(cell) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: text starting like a formula (=, +, -, @, tab,
    carriage return) gets a leading ' (OWASP's CSV-injection advice); plain numbers (-12.5) stay numbers.
    For CSVs meant for spreadsheets (the audit trail, the DMC tables); SDTM datasets keep their values exactly."""
    text = str(cell)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
