"""Define-XML 2.1 of the SDTM datasets, from their metadata (exports.sdtm) and the lengths found in
the data (exports.transport.profile).

Every dataset (ItemGroupDef, with its XPT file as def:leaf), variable (ItemDef: type, length, label,
origin, codelist, derivation method, the rule it follows as a comment), value-level metadata (VS, LB
and RS results per test, SUPP-- QVAL per QNAM: def:ValueListDef with where clauses), codelist (CDISC
subsets with their NCI codes, sponsor codelists, MedDRA as an external dictionary with the active
release's version) and method. Valid against the Define-XML 2.1 schema (tests/test_sdtm_transport.py,
with the XSDs of the odmlib package: tests/define_schema.py).
"""

from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone

from coding.services import active_release
from exports.sdtm import Dataset, ValueLevel, Variable
from exports.sdtm.terminology import CODELISTS, METHODS, Codelist
from exports.transport import Profile
from subjects.models import Study

CT_VERSION = "2024-09-27"  # the CDISC SDTM Controlled Terminology release the codelists follow
SDTMIG = "STD.SDTMIG.3.4"
SDTM_CT = "STD.CT.SDTM"
LENGTHS = ("text", "integer", "float")


def _a(value) -> str:
    return quoteattr(str(value))


def _text(value: str) -> str:
    return f'<Description><TranslatedText xml:lang="en">{escape(value)}</TranslatedText></Description>'


def item_oid(dataset: Dataset, name: str, value: str | None = None) -> str:
    return f"IT.{dataset.name}.{name}" + (f".{value}" if value else "")


def _supp_value_level(dataset: Dataset, datasets: dict[str, Dataset]) -> tuple[ValueLevel, ...]:
    """A SUPP-- dataset's QVAL per QNAM: its parent's supplemental variables."""
    parent = datasets[dataset.parent.lower()]
    return tuple(
        ValueLevel(
            "QVAL", "QNAM", q.name, q.label, q.type, origin=q.origin, source=q.source, method=q.method, crf=q.crf
        )  # fmt: skip
        for q in parent.supplemental
    )


def define_xml(*, datasets: dict[str, Dataset], profiles: dict[str, Profile], now: datetime | None = None) -> bytes:
    """The define.xml of `datasets`; `profiles` gives each one's character lengths."""
    study = Study.current()
    now = now or timezone.now()
    release = active_release()
    codelists: dict[str, Codelist] = dict(CODELISTS)
    for dataset in datasets.values():
        if dataset.codelists:
            codelists.update({c.key: c for c in dataset.codelists(study)})
        if dataset.parent:
            names = tuple((q.name, q.label) for q in datasets[dataset.parent.lower()].supplemental)
            codelists[f"QNAM.{dataset.parent}"] = Codelist(
                f"QNAM.{dataset.parent}", f"SUPP{dataset.parent} QNAM", names
            )
    value_levels = {key: (_supp_value_level(d, datasets) if d.parent else d.value_level) for key, d in datasets.items()}
    used_codelists: dict[str, None] = {}
    used_methods: dict[str, None] = {}
    comments: list[str] = []
    groups, items, value_lists = [], [], []
    where_clauses: dict[str, str] = {}
    for key, dataset in datasets.items():
        found = profiles[key]
        refs = []
        by_variable: dict[str, list[ValueLevel]] = {}
        for entry in value_levels[key]:
            by_variable.setdefault(entry.variable, []).append(entry)
        for order, variable in enumerate(dataset.published_variables(), start=1):
            key_sequence = dataset.keys.index(variable.name) + 1 if variable.name in dataset.keys else None
            refs.append(
                f'<ItemRef ItemOID={_a(item_oid(dataset, variable.name))} OrderNumber="{order}"'
                f' Mandatory="{"Yes" if variable.core == "Req" else "No"}"'
                + (f' KeySequence="{key_sequence}"' if key_sequence else "")
                + (f" MethodOID={_a(variable.method)}" if variable.method else "")
                + "/>"
            )
            value_list = f"VL.{dataset.name}.{variable.name}" if variable.name in by_variable else None
            items.append(_item_def(dataset, variable, found, value_list, used_codelists, used_methods, comments))
            if value_list:
                value_lists.append(
                    _value_list(dataset, variable, by_variable[variable.name], found, value_list, items, where_clauses,
                                used_codelists, used_methods)
                )  # fmt: skip
        groups.append(_item_group(dataset, refs))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"'
        ' xmlns:xlink="http://www.w3.org/1999/xlink" ODMVersion="1.3.2" FileType="Snapshot"'
        f" FileOID={_a(f'DEFINE.{study.study_id}.{now:%Y%m%d%H%M%S}')}"
        f" CreationDateTime={_a(now.astimezone().replace(tzinfo=None).isoformat(timespec='seconds'))}"
        ' Originator="Trialsite" SourceSystem="Trialsite" def:Context="Submission">\n'
        f"<Study OID={_a(study.study_id)}><GlobalVariables><StudyName>{escape(study.study_id)}</StudyName>"
        f"<StudyDescription>{escape(study.title)}</StudyDescription>"
        f"<ProtocolName>{escape(study.study_id)}</ProtocolName></GlobalVariables>\n"
        f"<MetaDataVersion OID={_a(f'MDV.{study.study_id}.SDTMIG.3.4')} Name={_a(f'{study.study_id} SDTM')}"
        f' Description="SDTM datasets of the study, SDTMIG 3.4" def:DefineVersion="2.1.0">\n'
        "<def:Standards>"
        f'<def:Standard OID="{SDTMIG}" Name="SDTMIG" Type="IG" Version="3.4" Status="Final"/>'
        f'<def:Standard OID="{SDTM_CT}" Name="CDISC/NCI" Type="CT" PublishingSet="SDTM" Version="{CT_VERSION}"'
        ' Status="Final"/></def:Standards>\n',
        *value_lists,
        *where_clauses.values(),
        *groups,
        *items,
        *(_codelist(codelists[name], release) for name in used_codelists),
        *(_method(METHODS[oid]) for oid in used_methods),
        *comments,
        "</MetaDataVersion>\n</Study>\n</ODM>\n",
    ]
    return "".join(out).encode()


def _item_group(dataset: Dataset, refs: list[str]) -> str:
    domain = dataset.parent or dataset.name
    reference = not dataset.subject_level
    return (
        f"<ItemGroupDef OID={_a(f'IG.{dataset.name}')} Name={_a(dataset.name)} SASDatasetName={_a(dataset.name)}"
        f' Domain={_a(domain)} Repeating="{"No" if dataset.name == "DM" else "Yes"}"'
        f' IsReferenceData="{"Yes" if reference else "No"}" Purpose="Tabulation"'
        f' def:Structure={_a(dataset.structure)} def:StandardOID="{SDTMIG}"'
        f" def:ArchiveLocationID={_a(f'LF.{dataset.name}')}>"
        + _text(dataset.label)
        + "".join(refs)
        + f"<def:Class Name={_a(dataset.category)}/>"
        f"<def:leaf ID={_a(f'LF.{dataset.name}')} xlink:href={_a(f'{dataset.key}.xpt')}>"
        f"<def:title>{dataset.key}.xpt</def:title></def:leaf></ItemGroupDef>\n"
    )


def _origin(origin: str, source: str, crf: str) -> str:
    source = "Sponsor" if origin in ("Derived", "Assigned", "Protocol") else source
    described = _text(f"CRF: {crf}") if crf and origin == "Collected" else ""
    return f"<def:Origin Type={_a(origin)} Source={_a(source)}>{described}</def:Origin>"


def _length(kind: str, name: str, found: Profile) -> str:
    if kind not in LENGTHS:
        return ""
    return f' Length="{8 if kind != "text" else found.lengths.get(name, 1)}"'


def _item_def(dataset, variable: Variable, found, value_list, used_codelists, used_methods, comments) -> str:
    comment_oid = None
    if variable.comment:
        comment_oid = f"COM.{dataset.name}.{variable.name}"
        comments.append(f"<def:CommentDef OID={_a(comment_oid)}>{_text(variable.comment)}</def:CommentDef>\n")
    if variable.method:
        used_methods[variable.method] = None
    codelist = ""
    if variable.codelist:
        used_codelists[variable.codelist] = None
        codelist = (
            f"<CodeListRef CodeListOID={_a(CODELISTS.get(variable.codelist, Codelist(variable.codelist, '')).oid)}/>"
        )
    return (
        f"<ItemDef OID={_a(item_oid(dataset, variable.name))} Name={_a(variable.name)} DataType={_a(variable.type)}"
        f"{_length(variable.type, variable.name, found)} SASFieldName={_a(variable.name)}"
        + (f" def:CommentOID={_a(comment_oid)}" if comment_oid else "")
        + ">"
        + _text(variable.label)
        + codelist
        + _origin(variable.origin, variable.source, variable.crf)
        + (f"<def:ValueListRef ValueListOID={_a(value_list)}/>" if value_list else "")
        + "</ItemDef>\n"
    )


def _value_list(dataset, variable, entries, found, oid, items, where_clauses, used_codelists, used_methods) -> str:
    refs = []
    for order, entry in enumerate(entries, start=1):
        where = f"WC.{dataset.name}.{entry.where}.{entry.value}"
        where_clauses.setdefault(
            where,
            f'<def:WhereClauseDef OID={_a(where)}><RangeCheck Comparator="EQ" SoftHard="Soft"'
            f" def:ItemOID={_a(item_oid(dataset, entry.where))}><CheckValue>{escape(entry.value)}</CheckValue>"
            "</RangeCheck></def:WhereClauseDef>\n",
        )
        vl_item = item_oid(dataset, variable.name, entry.value)
        if entry.method:
            used_methods[entry.method] = None
        refs.append(
            f'<ItemRef ItemOID={_a(vl_item)} OrderNumber="{order}" Mandatory="No"'
            + (f" MethodOID={_a(entry.method)}" if entry.method else "")
            + f"><def:WhereClauseRef WhereClauseOID={_a(where)}/></ItemRef>"
        )
        unit = f" ({entry.unit})" if entry.unit else ""
        length = _length(entry.type, variable.name, found)
        items.append(
            f"<ItemDef OID={_a(vl_item)} Name={_a(variable.name)} DataType={_a(entry.type)}{length}"
            f" SASFieldName={_a(variable.name)}>{_text(f'{entry.label}{unit}')}"
            f"{_origin(entry.origin, entry.source, entry.crf)}</ItemDef>\n"
        )
    return f"<def:ValueListDef OID={_a(oid)}>{''.join(refs)}</def:ValueListDef>\n"


def _codelist(codelist: Codelist, release) -> str:
    head = f"<CodeList OID={_a(codelist.oid)} Name={_a(codelist.name)} DataType={_a(codelist.data_type)}"
    if codelist.dictionary:
        version = release.version if release is not None else "not loaded"
        return f"{head}><ExternalCodeList Dictionary={_a(codelist.dictionary)} Version={_a(version)}/></CodeList>\n"
    decoded = any(decode for _value, decode in codelist.items)
    entries = []
    for value, decode in codelist.items:
        extended = ' def:ExtendedValue="Yes"' if value in codelist.extended else ""
        if decoded:
            entries.append(f"<CodeListItem CodedValue={_a(value)}{extended}><Decode><TranslatedText xml:lang=\"en\">"
                           f"{escape(decode or value)}</TranslatedText></Decode></CodeListItem>")  # fmt: skip
        else:
            entries.append(f"<EnumeratedItem CodedValue={_a(value)}{extended}/>")
    alias = f'<Alias Context="nci:ExtCodeID" Name={_a(codelist.nci_code)}/>' if codelist.nci_code else ""
    standard = f' def:StandardOID="{SDTM_CT}"' if codelist.nci_code else ""
    return f"{head}{standard}>{''.join(entries)}{alias}</CodeList>\n"


def _method(method) -> str:
    return (
        f"<MethodDef OID={_a(method.oid)} Name={_a(method.name)} Type={_a(method.type)}>"
        f"{_text(method.description)}</MethodDef>\n"
    )
