"""The SDTM submission package: every dataset as SAS XPORT v5, define.xml and a README, in one ZIP.

Each dataset is read once for its character lengths (and checked: a value a V5 transport file cannot
hold refuses the whole package before the first byte, exports.transport.Untransportable), then the ZIP
streams: define.xml and the README first (small, made from the lengths), then each XPT file as its
second read comes, compressed as it goes.
"""

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from coding.services import active_release
from exports import sdtm, transport
from exports.define import define_xml
from safety.models import AdverseEvent
from subjects.models import Study


def profiles(*, check: bool) -> dict[str, transport.Profile]:
    return {key: transport.profile(dataset, check=check) for key, dataset in sdtm.DATASETS.items()}


def define_document(*, check: bool = False, found: dict | None = None, now: datetime | None = None) -> bytes:
    return define_xml(datasets=sdtm.DATASETS, profiles=found or profiles(check=check), now=now)


def readme(found: dict[str, transport.Profile], now: datetime) -> bytes:
    study = Study.current()
    release = active_release()
    uncoded = AdverseEvent.objects.filter(coded_llt__isnull=True).count()
    lines = [
        f"SDTM datasets of study {study.study_id} ({study.registry_id})",
        study.title,
        "",
        f"Created {timezone.localtime(now):%Y-%m-%d %H:%M %Z} by Trialsite.",
        "SDTMIG 3.4 (SDTM v2.0); SAS XPORT version 5 transport files; define.xml is Define-XML 2.1.",
        f"Adverse events coded with MedDRA {release.version}." if release else "No MedDRA release was loaded.",
        f"{uncoded} adverse event(s) not coded yet: their AEDECOD and MedDRA hierarchy are empty." if uncoded else
        "Every adverse event is coded.",
        "",
        "Files:",
        "  define.xml   dataset and variable metadata, codelists, value-level metadata, derivations",
        *(f"  {key + '.xpt':<12} {dataset.name:<8} {dataset.label} ({found[key].rows} records)"
          for key, dataset in sdtm.DATASETS.items()),
        "",
    ]  # fmt: skip
    return "\r\n".join(lines).encode("ascii", "replace")


def package_stream(*, now: datetime | None = None) -> Iterator[bytes]:
    """The ZIP's bytes; raises Untransportable (before returning) when a value cannot go into an XPT."""
    now = now or timezone.now()
    found = profiles(check=True)
    members = [
        ("define.xml", lambda: [define_document(found=found, now=now)]),
        ("README.txt", lambda: [readme(found, now)]),
        *(
            (f"{key}.xpt", lambda dataset=dataset, key=key: transport.xpt_stream(dataset, found[key], created=now))
            for key, dataset in sdtm.DATASETS.items()
        ),
    ]
    return transport.zip_stream(members, created=now)
