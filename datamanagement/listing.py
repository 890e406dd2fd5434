"""The query list's filters and its CSV, shared by the page and the API."""

import csv
import io
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from trialsite.spreadsheet import spreadsheet_safe

CSV_COLUMNS = (
    "id",
    "participant",
    "visit",
    "record_type",
    "record_id",
    "field",
    "state",
    "text",
    "latest_text",
    "raised_by",
    "raised_at_utc",
    "assignee",
    "edit_check",
    "age_days",
)


def filter_queries(queries: QuerySet, params) -> QuerySet:
    """`params`: state, participant (screening number), visit (code), record_type, assignee
    (username, or "none"), older_than_days."""
    get = params.get
    if get("state"):
        queries = queries.filter(state=get("state"))
    if get("participant"):
        queries = queries.filter(participant__screening_number=get("participant"))
    if get("visit"):
        queries = queries.filter(visit__visit_code=get("visit"))
    if get("record_type"):
        queries = queries.filter(record_type=get("record_type"))
    if get("assignee"):
        if get("assignee") == "none":
            queries = queries.filter(assignee=None)
        else:
            queries = queries.filter(assignee__username=get("assignee"))
    days = get("older_than_days")
    if days not in (None, ""):
        try:
            queries = queries.filter(raised_at__lt=timezone.now() - timedelta(days=int(days)))
        except (TypeError, ValueError, OverflowError):
            queries = queries.none()
    return queries.select_related("participant", "visit", "raised_by", "assignee").order_by("-raised_at")


def queries_csv(queries: QuerySet) -> str:
    """For spreadsheets: every cell through spreadsheet_safe (a question or a username starting like a
    formula is shown as text)."""
    now = timezone.now()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for q in queries:
        cells = [
            q.pk,
            q.participant.screening_number,
            q.visit.visit_code if q.visit else "",
            q.record_type,
            q.record_id,
            q.field,
            q.state,
            q.text,
            q.latest_text,
            q.raised_by_name,
            q.raised_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            q.assignee.username if q.assignee else "",
            q.edit_check,
            (now - q.raised_at).days,
        ]
        writer.writerow([spreadsheet_safe("" if cell is None else cell) for cell in cells])
    return out.getvalue()


SDV_COLUMNS = (
    "participant",
    "visit",
    "record_type",
    "record_id",
    "state",
    "verified_by",
    "verified_at_utc",
    "verified_version",
)


def sdv_csv() -> str:
    """Every CRF record with its verification state (verified / changed / not_verified); cells as in
    queries_csv."""
    from datamanagement.models import SourceVerification
    from datamanagement.progress import record_states
    from subjects.models import Participant, Visit

    marks = {(m.record_type, m.record_id): m for m in SourceVerification.objects.select_related("verified_by")}
    numbers = dict(Participant.objects.values_list("pk", "screening_number"))
    codes = dict(Visit.objects.values_list("pk", "visit_code"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SDV_COLUMNS)
    rows = sorted(record_states(), key=lambda r: (numbers.get(r.participant_id, ""), r.record_type, r.record_id))
    for record in rows:
        mark = marks.get((record.record_type, record.record_id))
        cells = [
            numbers.get(record.participant_id, ""),
            codes.get(record.visit_id, ""),
            record.record_type,
            record.record_id,
            record.state,
            mark.verified_by.username if mark else "",
            mark.verified_at.strftime("%Y-%m-%dT%H:%M:%SZ") if mark else "",
            mark.verified_version if mark else "",
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()
