"""What the participant page shows of the laboratory: a table of tests by panel, in one query."""

from urllib.parse import urlencode

from django.urls import reverse

from labs import catalogue
from labs.models import LabResult
from subjects.sitetime import site_date

SPARK_WIDTH, SPARK_HEIGHT = 90, 22


def sparkline(values) -> str:
    """SVG polyline points for `values` (standard units, None skipped) across the panels, or ""."""
    known = [(n, v) for n, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{n * step:.1f},{SPARK_HEIGHT - 2 - float((v - low) / span) * (SPARK_HEIGHT - 4):.1f}" for n, v in known
    )


def ae_prompt_url(participant, result: LabResult) -> str:
    """The AE form pre-filled from a result that prompts an AE (the user decides, PROTOCOL §8)."""
    query = urlencode(
        {
            "term": result.test.ctcae_term,
            "grade": result.ctcae_grade,
            "onset_date": site_date(result.panel.collected_at).isoformat(),
        }
    )
    return f"{reverse('safety:ae_create', args=[participant.pk])}?{query}"


def participant_labs(participant) -> dict:
    results = list(LabResult.objects.filter(participant=participant).select_related("panel"))
    panels = sorted({r.panel_id: r.panel for r in results}.values(), key=lambda p: (p.collected_at, p.pk))
    by_cell = {(r.panel_id, r.test_code): r for r in results}
    rows, prompts = [], []
    for test in catalogue.LAB_TESTS:
        cells = [by_cell.get((p.pk, test.code)) for p in panels]
        if not any(cells):
            continue
        rows.append(
            {
                "test": test,
                "unit": catalogue.UNIT_LABELS[test.standard_unit],
                "cells": cells,
                "spark": sparkline([c.value_standard if c else None for c in cells]),
            }
        )
        for cell in cells:
            if cell is not None and cell.prompts_ae:
                prompts.append({"result": cell, "url": ae_prompt_url(participant, cell)})
    return {
        "panels": panels,
        "rows": rows,
        "prompts": prompts,
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
    }
