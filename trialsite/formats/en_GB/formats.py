"""English pages show dates as ISO 8601 (2026-10-14), the one unambiguous form for clinical data; every
other format comes from Django's en_GB locale. A locale without a module here keeps Django's own."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
