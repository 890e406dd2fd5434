"""Coding adverse-event terms to MedDRA: the doors for the coded lowest level term of an AE.

An AE's verbatim term is coded to one lowest level term (LLT) of the active MedDRA release
(`AdverseEvent.coded_llt`); the LLT's primary path gives PT, HLT, HLGT and SOC
(coding.services.hierarchy). Three ways in, all audited on the AE's history:
- recording an AE, or changing its verbatim term, codes it to the exact match when there is one
  (coding.services.auto_code) and otherwise leaves it uncoded, for the coding queue; a changed term
  never keeps the coding of the old one (`code_on_save`, called by safety.services);
- a data manager codes or re-codes an AE by hand, with a reason (`adverse_event_code`);
- after a release is loaded, `adverse_events_auto_code` codes every uncoded AE with an exact match.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coding import services as coding
from coding.models import LowestLevelTerm
from coding.terms import term_key
from safety.models import AdverseEvent
from trialsite import figures
from trialsite.audit import audited_save, check_version, reason_error

AUTO_CODED_REASON = "Auto-coded: exact match in MedDRA {version}"


def code_on_save(adverse_event: AdverseEvent, *, previous_term: str | None) -> None:
    """Before an AE is saved: a new term (or a changed one) is coded to its exact match, or uncoded."""
    if previous_term is not None and term_key(previous_term) == term_key(adverse_event.term or ""):
        return
    adverse_event.coded_llt = coding.auto_code(adverse_event.term)


def _codable(llt: LowestLevelTerm | None) -> LowestLevelTerm:
    if llt is None:
        raise ValidationError({"llt_code": [_("No lowest level term with this code in the active MedDRA release.")]})
    if not llt.is_current:
        raise ValidationError({"llt_code": [_("This lowest level term is not current: code to a current one.")]})
    return llt


def adverse_event_code(
    *, adverse_event: AdverseEvent, llt_code: int, user, reason: str, expected_version: int | None = None
) -> AdverseEvent:
    """Code (or re-code) an AE to the current LLT `llt_code` of the active release, with a reason."""
    if not (reason or "").strip():
        raise reason_error()
    llt = _codable(coding.llt_by_code(llt_code))
    with transaction.atomic():
        locked = AdverseEvent.objects.select_for_update().get(pk=adverse_event.pk)
        check_version(locked, expected_version)
        locked.coded_llt = llt
        audited_save(locked, user=user, reason=reason)
        figures.study_data_changed()
    return locked


def adverse_events_auto_code(*, user) -> int:
    """Code every uncoded AE whose verbatim term is exactly an LLT of the active release; how many."""
    release = coding.active_release()
    if release is None:
        return 0
    reason = AUTO_CODED_REASON.format(version=release.version)
    coded = 0
    with transaction.atomic():
        for adverse_event in AdverseEvent.objects.select_for_update().filter(coded_llt__isnull=True).order_by("id"):
            llt = coding.auto_code(adverse_event.term)
            if llt is not None:
                adverse_event.coded_llt = llt
                audited_save(adverse_event, user=user, reason=reason)
                coded += 1
        if coded:
            figures.study_data_changed()
    return coded
