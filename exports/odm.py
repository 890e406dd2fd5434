"""CDISC ODM 1.3.2 snapshot of the clinical data, with an AuditRecord for each item's last change.

Metadata (StudyEventDefs, FormDefs, ItemGroupDefs, ItemDefs) is generated from the form models
(forms.py). Clinical data is read from the history tables — the last history record of an object
is its current state, and walking its records gives each field's last change (who, when, why).
Each form model is one ordered query read in chunks; the streams are merged by
(participant, visit, form, object), so memory stays flat. Valid electronic signatures are
<Signature> elements (the casebook approval on the SubjectData, the others on the signed record's
ItemGroupData), defined by a <SignatureDef> per meaning in the AdminData.
"""

import heapq
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone, translation

from datamanagement.models import SdvState, SourceVerification
from exports.forms import FORMS, SDTM_INDEX, Form, data_fields, type_of
from signatures.models import Meaning, Signature
from subjects.models import Participant, Study
from trialsite.records import RECORD_TYPES

NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
AE_EVENT = "AE"
AE_EVENT_ORDER = 10_000
ODM_TYPES = {
    "boolean": "boolean",
    "datetime": "datetime",
    "date": "date",
    "decimal": "float",
    "integer": "integer",
    "list": "text",
    "text": "text",
}


def _a(value) -> str:
    return quoteattr(str(value))


def event_oid(code: str) -> str:
    return f"SE.{code}"


def form_oid(form: Form) -> str:
    return f"F.{form.key.upper()}"


def group_oid(form: Form) -> str:
    return f"IG.{form.key.upper()}"


def item_oid(form: Form, field_name: str) -> str:
    return f"IT.{form.key.upper()}.{field_name.upper()}"


def odm_value(value) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is Decimal:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


@dataclass
class Snapshot:
    """The current state of one object and, per field, the history record of its last change."""

    sort_key: tuple
    form: Form
    event: str
    current: object
    changed_by: dict


def _object_stream(form: Form, visit_order: dict) -> Iterator[Snapshot]:
    history = form.model.history.model
    fields = data_fields(form.model)
    pcol = "id" if form.model is Participant else "participant_id"
    qs = history.objects.annotate(p_key=F(pcol))
    if form.visit_based:
        own = form.key == "visit"
        qs = qs.annotate(
            v_code=F("visit_code") if own else F("visit__visit_code"),
            v_num=F("visitnum") if own else F("visit__visitnum"),
        ).order_by("p_key", "v_num", "id", "history_id")
    else:
        qs = qs.order_by("p_key", "id", "history_id")
    form_order = FORMS.index(form)
    last, changed = None, {}
    for record in qs.iterator(chunk_size=2000):
        if last is not None and record.id != last.id:
            if last.history_type != "-":
                yield _snapshot(form, form_order, visit_order, last, changed)
            last, changed = None, {}
        for f in fields:
            value = getattr(record, f.attname)
            if last is None or getattr(last, f.attname) != value:
                changed[f.attname] = record
        last = record
    if last is not None and last.history_type != "-":
        yield _snapshot(form, form_order, visit_order, last, changed)


def _snapshot(form, form_order, visit_order, record, changed) -> Snapshot:
    if form.visit_based:
        event = record.v_code
    elif form.key == "adverse_event":
        event = AE_EVENT
    else:
        event = "SCR"
    order = AE_EVENT_ORDER if event == AE_EVENT else visit_order.get(event, 0)
    return Snapshot((record.p_key, order, form_order, record.id), form, event, record, dict(changed))


def stream_odm(*, now: datetime | None = None) -> Iterator[bytes]:
    study = Study.current()
    now = now or timezone.now()
    definitions = list(study.visit_definitions.order_by("visitnum"))
    visit_order = {d.code: d.visitnum for d in definitions}
    location = f"LOC.{study.site_id}"
    mdv = f"MDV.{study.version}"
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ODM xmlns="{NAMESPACE}" ODMVersion="1.3.2" FileType="Snapshot" Granularity="All"'
        f" FileOID={_a(f'ODM.{study.study_id}.{now:%Y%m%d%H%M%S}')} CreationDateTime={_a(stamp)}"
        ' SourceSystem="Trialsite">\n'
    ).encode()
    yield _metadata(study, definitions, mdv).encode()
    yield _admin_data(study, location, mdv, now).encode()
    yield f"<ClinicalData StudyOID={_a(study.study_id)} MetaDataVersionOID={_a(mdv)}>\n".encode()
    sdv_marks = {(m.record_type, m.record_id): m for m in SourceVerification.objects.all()}
    signed = _valid_signatures(location)
    streams = [_object_stream(form, visit_order) for form in FORMS]
    merged = heapq.merge(*streams, key=lambda s: s.sort_key)
    parts: list[str] = []
    subject, event, form_key = None, None, None
    for snap in merged:
        p_key = snap.sort_key[0]
        if p_key != subject:
            if event is not None:
                parts.append("</FormData></StudyEventData>\n")
            if subject is not None:
                parts.append("</SubjectData>\n")
            key = _subject_key(snap, study)
            casebook = signed.get(("subject", snap.sort_key[0]), "")
            parts.append(f"<SubjectData SubjectKey={_a(key)}>{casebook}<SiteRef LocationOID={_a(location)}/>\n")
            subject, event, form_key = p_key, None, None
        if snap.event != event:
            if event is not None:
                parts.append("</FormData></StudyEventData>\n")
            parts.append(f"<StudyEventData StudyEventOID={_a(event_oid(snap.event))}>")
            event, form_key = snap.event, None
        if snap.form.key != form_key:
            if form_key is not None:
                parts.append("</FormData>")
            parts.append(f"<FormData FormOID={_a(form_oid(snap.form))}>")
            form_key = snap.form.key
        key = snap.current.id
        sdv_mark = sdv_marks.get((snap.form.key, key))
        signature = signed.get((snap.form.model._meta.label_lower, key), "")
        parts.append(_item_group(snap, location, sdv_mark, signature))
        if len(parts) > 200:
            yield "".join(parts).encode()
            parts = []
    if event is not None:
        parts.append("</FormData></StudyEventData>\n")
    if subject is not None:
        parts.append("</SubjectData>\n")
    parts.append("</ClinicalData>\n</ODM>\n")
    yield "".join(parts).encode()


def _subject_key(snap: Snapshot, study: Study) -> str:
    record = snap.current
    if snap.form.model is Participant:
        return record.usubjid or f"{study.study_id}-{record.site_id}-{record.screening_number}"
    return f"PARTICIPANT-{snap.sort_key[0]}"  # only when the participant row itself is missing


_PLAIN = re.compile(r"[&<>\"'\n\r\t]")


def _attr(text: str) -> str:
    """quoteattr(text), without its work for the usual value that needs no escaping."""
    return f'"{text}"' if _PLAIN.search(text) is None else quoteattr(text)


@cache
def _item_prefixes(form: Form) -> tuple[tuple[str, str], ...]:
    """(attname, '<ItemData ItemOID="..." Value=') per data field of a form, in field order."""
    return tuple((f.attname, f"<ItemData ItemOID={_a(item_oid(form, f.name))} Value=") for f in data_fields(form.model))


def _audit_record(change, location_ref: str) -> str:
    user = f"USR.{change.history_user_id}" if change.history_user_id else "USR.system"
    when = change.history_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    reason = change.history_change_reason or ""
    return (
        f"<AuditRecord><UserRef UserOID={_a(user)}/>{location_ref}"
        f"<DateTimeStamp>{when}</DateTimeStamp><ReasonForChange>{escape(reason)}</ReasonForChange>"
        "</AuditRecord></ItemData>"
    )


@cache
def _group_open(form: Form) -> str:
    return f"<ItemGroupData ItemGroupOID={_a(group_oid(form))}"


@cache
def _location_ref(location: str) -> str:
    return f"<LocationRef LocationOID={_a(location)}/>"


def _sdv_audit_record(mark, location_ref: str) -> str:
    """The record's source data verification, as the item group's AuditRecord at the Monitoring edit point."""
    when = mark.verified_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if mark.state == SdvState.VERIFIED:
        text = f"SourceDataVerified=Yes (version {mark.verified_version})"
    else:
        text = f"SourceDataVerified=No (changed since verification of version {mark.verified_version})"
    return (
        f'<AuditRecord EditPoint="Monitoring"><UserRef UserOID={_a(f"USR.{mark.verified_by_id}")}/>{location_ref}'
        f"<DateTimeStamp>{when}</DateTimeStamp><ReasonForChange>{text}</ReasonForChange></AuditRecord>"
    )


def _item_group(snap: Snapshot, location: str, sdv_mark=None, signature: str = "") -> str:
    form = snap.form
    current = snap.current
    repeat = f" ItemGroupRepeatKey={_a(current.id)}" if form.repeating else ""
    out = [f"{_group_open(form)}{repeat}>"]
    location_ref = _location_ref(location)
    if sdv_mark is not None:  # ODM 1.3.2 orders an ItemGroupData's AuditRecord before its Signature
        out.append(_sdv_audit_record(sdv_mark, location_ref))
    out.append(signature)
    audits: dict[int, str] = {}  # one AuditRecord per history record, shared by the items it changed
    changed_by = snap.changed_by
    for attname, prefix in _item_prefixes(form):
        value = getattr(current, attname)
        if value is None or value == "":
            continue
        change = changed_by.get(attname, current)
        audit = audits.get(id(change))
        if audit is None:
            audit = audits[id(change)] = _audit_record(change, location_ref)
        out.append(f"{prefix}{_attr(odm_value(value))}>{audit}")
    out.append("</ItemGroupData>")
    return "".join(out)


def _metadata(study: Study, definitions, mdv: str) -> str:
    out = [
        f"<Study OID={_a(study.study_id)}>\n<GlobalVariables><StudyName>{escape(study.study_id)}</StudyName>"
        f"<StudyDescription>{escape(study.title)}</StudyDescription>"
        f"<ProtocolName>{escape(study.registry_id)}</ProtocolName></GlobalVariables>\n"
        f"<MetaDataVersion OID={_a(mdv)} Name={_a(f'{study.study_id} configuration v{study.version}')}>\n<Protocol>"
    ]
    events = [d.code for d in definitions] + [AE_EVENT]
    out += [
        f'<StudyEventRef StudyEventOID={_a(event_oid(code))} OrderNumber="{n}" Mandatory="No"/>'
        for n, code in enumerate(events, start=1)
    ]
    out.append("</Protocol>\n")
    for d in definitions:
        refs = [form for form in FORMS if form.visit_based]
        if d.code == "SCR":
            refs = [form for form in FORMS if not form.visit_based and form.key != "adverse_event"] + refs
        if not d.dosing:
            refs = [form for form in refs if form.key != "infusion"]
        out.append(_event_def(d.code, f"Visit {d.code}", "Scheduled", refs))
    out.append(_event_def(AE_EVENT, "Adverse events", "Common", [f for f in FORMS if f.key == "adverse_event"]))
    for form in FORMS:
        out.append(
            f'<FormDef OID={_a(form_oid(form))} Name={_a(form.name)} Repeating="No">'
            f'<ItemGroupRef ItemGroupOID={_a(group_oid(form))} Mandatory="Yes"/></FormDef>\n'
        )
    for form in FORMS:
        fields = data_fields(form.model)
        out.append(
            f"<ItemGroupDef OID={_a(group_oid(form))} Name={_a(form.name)}"
            f' Repeating="{"Yes" if form.repeating else "No"}"'
            f" SASDatasetName={_a(form.domain)} Domain={_a(form.domain)}>"
        )
        out += [
            f"<ItemRef ItemOID={_a(item_oid(form, f.name))}"
            f' Mandatory="{"No" if (f.null or f.blank or not f.editable) else "Yes"}"/>'
            for f in fields
        ]
        out.append("</ItemGroupDef>\n")
    for form in FORMS:
        for f in data_fields(form.model):
            kind = ODM_TYPES[type_of(f)]
            extra = ""
            if kind == "float":
                extra = f' Length="{f.max_digits}" SignificantDigits="{f.decimal_places}"'
            elif kind == "text" and getattr(f, "max_length", None):
                extra = f' Length="{f.max_length}"'
            # the SDTM variables the item maps to, from the datasets' metadata (as the data dictionary and define.xml)
            sdtm = ", ".join(SDTM_INDEX.get((form.key, f.name), ()))
            aliases = f'<Alias Context="SDTM" Name={_a(sdtm)}/>' if sdtm else ""
            head = f"<ItemDef OID={_a(item_oid(form, f.name))} Name={_a(f.name)} DataType={_a(kind)}{extra}"
            out.append(f"{head}>{aliases}</ItemDef>\n" if aliases else f"{head}/>\n")
    out.append("</MetaDataVersion>\n</Study>\n")
    return "".join(out)


def _event_def(code: str, name: str, kind: str, forms) -> str:
    refs = "".join(f'<FormRef FormOID={_a(form_oid(f))} Mandatory="No"/>' for f in forms)
    return (
        f'<StudyEventDef OID={_a(event_oid(code))} Name={_a(name)} Repeating="No" Type={_a(kind)}>'
        f"{refs}</StudyEventDef>\n"
    )


def signature_def_oid(meaning: str) -> str:
    return f"SD.{meaning}"


def _valid_signatures(location: str) -> dict[tuple[str, int], str]:
    """The <Signature> of each signed record, by (model label, record id): the valid signatures only (one
    query). A casebook approval signs the participant, i.e. the SubjectData; an invalidated signature
    is not a signature of the data as they are (the audit trail keeps it)."""
    out = {}
    for signature in Signature.objects.filter(invalidated_at=None).order_by("signed_at", "pk"):
        model = "subject" if signature.meaning == Meaning.CASEBOOK_APPROVAL else None
        model = model or RECORD_TYPES[signature.record_type].model.lower()
        when = signature.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out[(model, signature.record_id)] = (
            f"<Signature><UserRef UserOID={_a(f'USR.{signature.signer_id}')}/>{_location_ref(location)}"
            f"<SignatureRef SignatureOID={_a(signature_def_oid(signature.meaning))}/>"
            f"<DateTimeStamp>{when}</DateTimeStamp></Signature>"
        )
    return out


def _signature_defs() -> str:
    with translation.override(None):  # the meanings' labels in English whatever the reader's language
        return _signature_defs_english()


def _signature_defs_english() -> str:
    return "".join(
        f'<SignatureDef OID={_a(signature_def_oid(meaning))} Methodology="Electronic">'
        f"<Meaning>{escape(str(label))}</Meaning>"
        "<LegalReason>Electronic signature under 21 CFR Part 11 (re-authenticated with password and, when "
        "enrolled, a second factor)</LegalReason></SignatureDef>\n"
        for meaning, label in Meaning.choices
    )


def _admin_data(study: Study, location: str, mdv: str, now: datetime) -> str:
    users = get_user_model().objects.order_by("id").values_list("id", "username")
    out = ["<AdminData>\n"]
    out += [f"<User OID={_a(f'USR.{uid}')}><LoginName>{escape(name)}</LoginName></User>\n" for uid, name in users]
    out.append('<User OID="USR.system"><LoginName>system</LoginName></User>\n')
    out.append(
        f"<Location OID={_a(location)} Name={_a(f'Site {study.site_id}')}>"
        f"<MetaDataVersionRef StudyOID={_a(study.study_id)} MetaDataVersionOID={_a(mdv)}"
        f" EffectiveDate={_a(now.date().isoformat())}/></Location>\n"
    )
    out.append(_signature_defs())
    out.append("</AdminData>\n")
    return "".join(out)
