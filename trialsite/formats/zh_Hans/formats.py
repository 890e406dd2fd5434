"""Chinese pages: dates as 2026年12月4日 (Django's zh_Hans formats, repeated here because a module here
replaces Django's for the names it defines) and numbers grouped by three with commas, as Chinese
clinical reports and the national statistics print them (Django's own zh_Hans groups by four with no
separator, which shows 254000000)."""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
