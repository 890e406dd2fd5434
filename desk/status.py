"""The participant status grid (REDCap's record status dashboard, OpenClinica's subject matrix):
participants × visits, each cell the state of each form of that visit.

States are computed here in one pass over a page of participants, one query per record type, so the
page costs the same for 10 or 1 000 participants. A form's own state is one of FORM_STATES; other apps
add states of a record (open query, verified, locked, signed …) through settings.STATUS_GRID_STATE_SOURCES:
callables `({record_type: {pk, …}}) -> {(record_type, pk): [state, …]}`, called once per page.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils.module_loading import import_string
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from dosing.models import Timepoint, VitalSigns
from subjects.flow import FORM_LABELS, form_url, forms_of
from subjects.models import Participant, Visit, VisitDefinition

NOT_STARTED, INCOMPLETE, COMPLETE = "not_started", "incomplete", "complete"
FORM_STATES = {
    NOT_STARTED: _("not started"),
    INCOMPLETE: _("incomplete"),
    COMPLETE: _("complete"),
    # added by other apps (settings.STATUS_GRID_STATE_SOURCES)
    "open_query": _("open query"),
    "answered_query": _("answered query"),
    "verified": _("source data verified"),
    "changed_since_verification": _("changed since verification"),
    "locked": _("locked"),
    "signed": _("signed"),
}


@dataclass
class Cell:
    form: str
    states: list[str]  # the form's own state first, then what other apps add
    url: str | None
    pk: int | None = None

    @property
    def state(self) -> str:
        return self.states[0]

    @property
    def label(self) -> str:
        shown = [str(FORM_STATES.get(s, s.replace("_", " "))) for s in self.states]
        return gettext("%(form)s: %(states)s") % {
            "form": FORM_LABELS[self.form],
            "states": pgettext("separator of a list of states", ", ").join(shown),
        }


@dataclass
class Row:
    participant: Participant
    visits: list[list[Cell]] = field(default_factory=list)  # per visit column, the cells of its forms


def _vitals_state(timepoints: set[str], dosing: bool) -> str:
    if not timepoints:
        return NOT_STARTED
    if dosing and not {Timepoint.PRE_INFUSION, Timepoint.POST_INFUSION} <= timepoints:
        return INCOMPLETE
    return COMPLETE


def _related(record, name: str):
    """A reverse one-to-one read by select_related: the related record, or None."""
    try:
        return getattr(record, name)
    except ObjectDoesNotExist:
        return None


def status_grid(
    participants: list[Participant], definitions: list[VisitDefinition], *, entry: bool = True
) -> list[Row]:
    """The grid rows of `participants` (one page, with `screening` selected: one more query per
    participant otherwise) over the visit `definitions` (the columns); each cell links to its form's
    page for a reader who may enter data (`entry`), else to where that reader can see it."""
    ids = [p.pk for p in participants]
    visits = {
        (v.participant_id, v.visit_code): v
        for v in Visit.objects.filter(participant_id__in=ids)
        .select_related("infusion", "pasi_assessment")
        .only("participant_id", "visit_code", "actual_date", "not_done_reason", "infusion__id", "pasi_assessment__id")
    }
    visit_ids = [v.pk for v in visits.values()]
    vitals: dict[int, set[str]] = defaultdict(set)
    vitals_pk: dict[int, int] = {}
    for visit_id, timepoint, pk in VitalSigns.objects.filter(visit_id__in=visit_ids).values_list(
        "visit_id", "timepoint", "pk"
    ):
        vitals[visit_id].add(timepoint)
        vitals_pk.setdefault(visit_id, pk)

    rows = []
    for participant in participants:
        row = Row(participant)
        for definition in definitions:
            visit = visits.get((participant.pk, definition.code))
            cells = []
            for form in forms_of(definition):
                state, pk = NOT_STARTED, None
                if form == "screening":
                    screening = _related(participant, "screening")
                    if screening is not None:
                        pk = screening.pk
                        state = COMPLETE if screening.screening_pasi is not None else INCOMPLETE
                elif visit is None:
                    cells.append(Cell(form, [NOT_STARTED], None))
                    continue
                elif form == "visit":
                    pk = visit.pk
                    state = COMPLETE if (visit.actual_date or visit.not_done_reason) else NOT_STARTED
                elif form == "vital_signs":
                    pk = vitals_pk.get(visit.pk)
                    state = _vitals_state(vitals[visit.pk], definition.dosing)
                elif form == "infusion":
                    infusion = _related(visit, "infusion")
                    pk = infusion.pk if infusion else None
                    state = COMPLETE if pk else NOT_STARTED
                elif form == "pasi_assessment":
                    assessment = _related(visit, "pasi_assessment")
                    pk = assessment.pk if assessment else None
                    state = COMPLETE if pk else NOT_STARTED
                cells.append(Cell(form, [state], form_url(form, participant, definition.code, entry=entry), pk))
            row.visits.append(cells)
        rows.append(row)
    _add_states_from_other_apps(rows)
    return rows


def _add_states_from_other_apps(rows: list[Row]) -> None:
    sources = [import_string(path) for path in getattr(settings, "STATUS_GRID_STATE_SOURCES", [])]
    by_type: dict[str, list[Cell]] = defaultdict(list)
    for row in rows:
        for cells in row.visits:
            for cell in cells:
                if cell.pk is not None:
                    by_type[cell.form].append(cell)
    if not by_type:
        return
    records = {record_type: {cell.pk for cell in cells} for record_type, cells in by_type.items()}
    for source in sources:
        extra = source(records)
        for record_type, cells in by_type.items():
            for cell in cells:
                cell.states.extend(extra.get((record_type, cell.pk), ()))
