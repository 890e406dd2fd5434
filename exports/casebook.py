"""The participant's casebook as a PDF (WeasyPrint, from templates/exports/casebook.html) and the
study's casebooks as one ZIP.

Every CRF record type of trialsite.records, field by field with its unit (from the field name) and
derived values, visit-bound forms under their visit in visit order; the signatures with their
state; the participant's audit trail as an appendix; in the page header the study, site, subject,
page x of y, the generation time and the audit chain head.
"""

import io
import zipfile
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from weasyprint import HTML

from datamanagement.models import Query
from exports import audit
from signatures.services import signatures_of
from subjects.models import Participant, Study
from subjects.sitetime import site_zone
from trialsite import chain
from trialsite.records import RECORD_TYPES

LEGACY_FIELDS = {"investigator_signoff_by", "investigator_signoff_at", "signoff_meaning"}  # now signatures
UNITS = {
    "_kg": "kg",
    "_kg_used": "kg",
    "_cm": "cm",
    "_percent": "%",
    "_ml": "mL",
    "_c": "°C",
    "_bp": "mmHg",
    "heart_rate": "/min",
    "respiratory_rate": "/min",
    "minutes_after_start": "min",
    "dose_per_kg": "cells/kg",
    "_cells": "cells",
}
VISIT_BOUND = [name for name, rt in RECORD_TYPES.items() if rt.visit not in (None, "")]
UNBOUND = [name for name, rt in RECORD_TYPES.items() if rt.visit is None]
SECTIONED = {"participant", "screening", "adverse_event", "safety_hold"}  # each has a section of its own


@dataclass(frozen=True)
class Form:
    title: str
    rows: list[tuple[str, str, str]]  # (label, value, unit)

    def lines(self, per_line: int = 3) -> list[list[tuple[str, str, str]]]:
        """The items three to a table row: a 12-week casebook stays a few pages long and quick to lay out."""
        return [self.rows[i : i + per_line] for i in range(0, len(self.rows), per_line)]


def unit_of(name: str) -> str:
    return next((unit for suffix, unit in UNITS.items() if name == suffix or name.endswith(suffix)), "")


def shown(record, field) -> str:
    value = getattr(record, field.name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "astimezone"):
        return timezone.localtime(value, site_zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def form_of(record, title: str) -> Form:
    skip = {"participant", "visit", *LEGACY_FIELDS}
    rows = [
        (capfirst(field.verbose_name), shown(record, field), unit_of(field.name))
        for field in record._compared_fields()
        if field.name not in skip
    ]
    return Form(title=title, rows=rows)


def _visit_id(record, path: str):
    """The id of the record's visit along its record type's path ("visit", "panel.visit"), no query."""
    *through, last = path.split(".")
    for part in through:
        record = getattr(record, part)
    return getattr(record, f"{last}_id")


def _records(name: str, participant: Participant) -> list:
    rt = RECORD_TYPES[name]
    model = rt.model_class()
    related = [f.name for f in model._meta.concrete_fields if f.is_relation and f.name != "participant"]
    lookup = (
        {"pk": participant.pk} if not rt.participant else {f"{rt.participant.replace('.', '__')}__pk": participant.pk}
    )
    return list(model.objects.filter(**lookup).select_related(*related).order_by("pk"))


def pasi_chart(points: list[tuple[str, float]], width: int = 480, height: int = 160) -> str:
    """An inline SVG line of the PASI total by visit (WeasyPrint draws SVG)."""
    if not points:
        return ""
    top = max(value for _code, value in points) or 1
    step = (width - 60) / max(len(points) - 1, 1)
    coords = [(40 + i * step, height - 25 - (value / top) * (height - 45)) for i, (_code, value) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    marks = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"/>'
        f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{code}</text>'
        f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle">{value:g}</text>'
        for (x, y), (code, value) in zip(coords, points, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="9">'
        f'<line x1="40" y1="{height - 25}" x2="{width - 20}" y2="{height - 25}" stroke="#888"/>'
        f'<polyline fill="none" stroke="#1a5fb4" stroke-width="2" points="{line}"/>{marks}</svg>'
    )


def casebook_context(participant: Participant) -> dict:
    study = Study.current()
    visits = _records("visit", participant)
    bound = {name: _records(name, participant) for name in VISIT_BOUND}
    by_visit, placed = [], set()
    for visit in sorted(visits, key=lambda v: v.visitnum):
        forms = [form_of(visit, _("Visit %(code)s") % {"code": visit.visit_code})]
        for name in VISIT_BOUND:
            for record in bound[name]:
                if _visit_id(record, RECORD_TYPES[name].visit) == visit.pk:
                    forms.append(form_of(record, f"{capfirst(record._meta.verbose_name)} — {visit.visit_code}"))
                    placed.add((name, record.pk))
        by_visit.append((visit, forms))
    unbound = {
        name: [form_of(r, f"{capfirst(r._meta.verbose_name)} {str(r)}") for r in _records(name, participant)]
        for name in UNBOUND
    }
    # Every other record: medications, history, deviations, and visit-bound ones without a visit
    # (an unscheduled laboratory panel, say).
    other = [form for name in UNBOUND if name not in SECTIONED for form in unbound[name]]
    other += [
        form_of(record, f"{capfirst(record._meta.verbose_name)} {str(record)}")
        for name in VISIT_BOUND
        for record in bound[name]
        if (name, record.pk) not in placed
    ]
    pasi = sorted(bound.get("pasi_assessment", []), key=lambda p: p.assessment_date)
    points = [(p.visit_code, float(p.pasi_total)) for p in pasi if p.pasi_total is not None]
    trail = audit.resolve_rows(
        list(audit.trail_queryset(audit.AuditFilter(participant_id=participant.pk, newest_first=False)))
    )
    return {
        "study": study,
        "participant": participant,
        "participant_form": form_of(participant, _("Participant")),
        "screening_forms": unbound.get("screening", []),
        "visits": by_visit,
        "adverse_events": unbound.get("adverse_event", []),
        "safety_holds": unbound.get("safety_hold", []),
        "pasi_chart": pasi_chart(points),
        "signatures": signatures_of(participant),
        "trail": trail,
        "generated_at": timezone.localtime(timezone.now(), site_zone()),
        "zone": site_zone().key,
        "chain_head": chain.head(),
        "other_forms": other,
        "queries": list(
            Query.objects.filter(participant=participant).select_related("visit").order_by("raised_at", "pk")
        ),
    }


def casebook_pdf(participant: Participant) -> bytes:
    html = render_to_string("exports/casebook.html", casebook_context(participant))
    return HTML(string=html).write_pdf()


def casebook_filename(participant: Participant) -> str:
    return f"casebook-{participant.subject_id and participant.usubjid or participant.screening_number}.pdf"


def casebooks_zip() -> bytes:
    """Every participant's casebook in one ZIP (in memory: one PDF at a time is rendered into it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for participant in Participant.objects.order_by("screening_seq"):
            archive.writestr(casebook_filename(participant), casebook_pdf(participant))
    return buffer.getvalue()
