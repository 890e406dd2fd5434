"""The one door for signing: re-authentication, the signature row, and its invalidation.

This app sits just above the ground layer (pyproject's layers contract): subjects (eligibility
sign-off) and safety (AE causality, hold release) call it, so it reads their records only through
the record-type registry (trialsite.records) and apps.get_model, never by importing them.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from signatures.models import SIGNED_RECORD_TYPE, Meaning, Signature
from signatures.second_factor import check_second_factor
from trialsite.audit import audited_save
from trialsite.reauth import check_password_again
from trialsite.records import RECORD_TYPES, record_type_of
from trialsite.roles import Cap, has_cap

CASEBOOK_STATUSES = ("completed", "withdrawn")  # subjects.ParticipantStatus values


# --- What is signed -------------------------------------------------------------------------------


def _participant_lookup(path: str) -> str:
    return f"{path.replace('.', '__')}__pk" if path else "pk"


def _stored_values(model, **lookup) -> list[dict]:
    """The stored values of the records (never the in-memory ones: a hash must not depend on whether
    a Decimal was typed as 63.5 or read back as 63.50)."""
    names = [field.attname for field in model._compared_fields()]
    return list(model._base_manager.filter(**lookup).order_by("pk").values("pk", *names))


def canonical_json(values) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def record_hash(meaning: str, record) -> str:
    """SHA-256 of the canonical JSON of what `meaning` signs: the record's compared values
    (trialsite.audit), or for a casebook every record of the participant, type by type."""
    if meaning == Meaning.CASEBOOK_APPROVAL:
        values = {
            name: _stored_values(rt.model_class(), **{_participant_lookup(rt.participant): record.pk})
            for name, rt in RECORD_TYPES.items()
        }
    else:
        values = _stored_values(type(record), pk=record.pk)
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()


def participant_id_of(record) -> int | None:
    rt = record_type_of(record)
    if rt is None:
        return None
    if not rt.participant:
        return record.pk
    if "." not in rt.participant:
        return getattr(record, f"{rt.participant}_id")
    target = record
    for part in rt.participant.split("."):
        target = getattr(target, part)
    return target.pk


def signed_record(signature: Signature):
    """The record a signature names (None when it no longer exists)."""
    model = RECORD_TYPES[signature.record_type].model_class()
    return model._base_manager.filter(pk=signature.record_id).first()


# --- Preconditions --------------------------------------------------------------------------------


UNRESOLVED_QUERY_STATES = ("open", "answered")  # datamanagement.models.ACTIVE_QUERY_STATES


def casebook_blockers(participant) -> list[str]:
    """Why the participant's casebook cannot be signed now (empty: it can).

    The one place for the casebook rule: the participant completed or withdrew, and no data query
    on their records is still open or answered-but-not-closed (read through the reverse relation the
    data-management app's Query declares, so this layer imports nothing above it).
    """
    blockers = []
    if participant.status not in CASEBOOK_STATUSES:
        blockers.append(_("The participant has not completed the study or withdrawn."))
    unresolved = participant.data_queries.filter(state__in=UNRESOLVED_QUERY_STATES).count()
    if unresolved:
        blockers.append(_("%(count)d data queries are not closed yet.") % {"count": unresolved})
    return blockers


def _refusals(meaning: str, record) -> list[str]:
    if meaning == Meaning.CASEBOOK_APPROVAL:
        return casebook_blockers(record)
    if meaning == Meaning.ELIGIBILITY and not record.eligible:
        return [_("Only an eligible participant can be signed off.")]
    if meaning == Meaning.AE_CAUSALITY and not record.relationship:
        return [_("The causality of this adverse event has not been assessed.")]
    if meaning == Meaning.HOLD_RELEASE and record.released_at is None:
        return [_("This safety hold has not been released.")]
    return []


# --- Signing ----------------------------------------------------------------------------------------


def signer_reauthenticate(*, request, signer, password: str | None, otp: str | None = None) -> None:
    """The password through the login lockout (trialsite.reauth), then the second factor if the signer
    has one. Call it before the transaction of the signing act, so a failed attempt is kept."""
    check_password_again(request, signer, password)
    check_second_factor(signer, otp)


def printed_name(user) -> str:
    return user.get_full_name().strip() or user.get_username()


def signature_add(*, signer, meaning: str, record) -> Signature:
    """Sign `record` with `meaning` (the signer is re-authenticated already): inside the transaction of
    the signing act, after its writes. ValidationError when the meaning does not apply to the record
    now or the signer already holds a valid signature of it."""
    meaning = Meaning(meaning)
    if not has_cap(signer, Cap.SIGN_OFF):
        raise PermissionDenied(_("Only an investigator can sign."))
    rt = record_type_of(record)
    if rt is None or rt.name != SIGNED_RECORD_TYPE[meaning]:
        raise ValidationError({"record_type": [_("This meaning does not apply to this record.")]})
    refusals = _refusals(meaning, record)
    if refusals:
        raise ValidationError({"meaning": refusals})
    with transaction.atomic():
        current = Signature.objects.select_for_update().filter(
            record_type=rt.name, record_id=record.pk, meaning=meaning, invalidated_at=None
        )
        if current.exists():
            raise ValidationError({"meaning": [_("This record is already signed with this meaning.")]})
        signature = Signature(
            participant_id=participant_id_of(record),
            meaning=meaning,
            record_type=rt.name,
            record_id=record.pk,
            record_hash=record_hash(meaning, record),
            signer=signer,
            signer_name=printed_name(signer),
            signed_at=timezone.now(),
        )
        with translation.override(None):  # the audit trail stores English, whatever the signer reads
            reason = f"Signed: {signature.get_meaning_display()}"
        return audited_save(signature, user=signer, reason=reason)


def signature_sign(*, request, signer, password: str | None, otp: str | None = None, meaning: str, record) -> Signature:
    """A signing act that is only a signature (the casebook approval, signing again after an
    invalidation): re-authenticate, then sign in a transaction."""
    if not has_cap(signer, Cap.SIGN_OFF):
        raise PermissionDenied(_("Only an investigator can sign."))
    signer_reauthenticate(request=request, signer=signer, password=password, otp=otp)
    with transaction.atomic():
        record = type(record)._base_manager.select_for_update().get(pk=record.pk)
        return signature_add(signer=signer, meaning=meaning, record=record)


# --- Invalidation (settings.AUDITED_AFTER_WRITE) ----------------------------------------------------


def signatures_invalidate(record, *, created: bool, changed: list[str]) -> None:
    """A stored change of a signed record invalidates its valid signatures; any change of a record of
    a participant (a new one too) invalidates the participant's casebook signature. Runs in the
    writing transaction (trialsite.audit.run_after_write), audited with the reason shown."""
    rt = record_type_of(record)
    if rt is None or not changed:
        return
    participant_id = participant_id_of(record)
    which = Q(meaning=Meaning.CASEBOOK_APPROVAL, participant_id=participant_id)
    if not created:
        which |= Q(record_type=rt.name, record_id=record.pk)
    now = timezone.now()
    for signature in Signature.objects.select_for_update().filter(which, invalidated_at=None):
        signature.invalidated_at = now
        with translation.override(None):  # stored, so English whatever the writer reads (verbose names are lazy)
            signature.invalidation_reason = (
                f"Signature invalidated by the change of {record._meta.verbose_name} {record} "
                f"on {now:%Y-%m-%d %H:%M} UTC."
            )
        audited_save(signature, user=getattr(record, "_history_user", None), reason=signature.invalidation_reason)


# --- Reading ----------------------------------------------------------------------------------------


def valid_signature(meaning: str, record) -> Signature | None:
    rt = record_type_of(record)
    return (
        Signature.objects.filter(meaning=meaning, record_type=rt.name, record_id=record.pk, invalidated_at=None)
        .select_related("signer")
        .first()
    )


def signatures_of(participant) -> list[Signature]:
    return list(Signature.objects.filter(participant=participant).select_related("signer").order_by("signed_at", "pk"))


@dataclass(frozen=True)
class Awaiting:
    """A record that awaits a signature: what, of whom, and why it is there."""

    meaning: str
    meaning_label: str
    record_type: str
    record_id: int
    participant: object
    label: str
    invalidated: Signature | None  # the signature a change invalidated, if that is why


def _signed(meaning: str):
    """The records of `meaning` that hold a valid signature, as a subquery of the query that lists them."""
    return Signature.objects.filter(meaning=meaning, invalidated_at=None).values("record_id")


def _invalidated_by_meaning(user) -> dict[str, dict[int, Signature]]:
    """{meaning: {record id: signature}} of `user`'s signatures that a change invalidated, in one query."""
    out: dict[str, dict[int, Signature]] = defaultdict(dict)
    for row in Signature.objects.filter(signer=user).exclude(invalidated_at=None).order_by("invalidated_at"):
        out[row.meaning][row.record_id] = row
    return out


def awaiting_signature(user) -> list[Awaiting]:
    """What awaits `user`'s signature: eligible screenings not signed off, assessed AEs whose causality
    is not signed, released holds and casebooks whose signature a change invalidated (back on the
    signer's list), and the casebooks of participants who completed or withdrew. One query for the
    invalidated signatures and one per meaning, whatever the number of records."""
    if not has_cap(user, Cap.SIGN_OFF):
        return []
    screening = apps.get_model("subjects.Screening")
    adverse_event = apps.get_model("safety.AdverseEvent")
    hold = apps.get_model("safety.SafetyHold")
    participant = apps.get_model("subjects.Participant")
    out: list[Awaiting] = []
    invalidated_by_meaning = _invalidated_by_meaning(user)

    def add(meaning, rows, label, invalidated):
        for row in rows:
            record_participant = row if meaning == Meaning.CASEBOOK_APPROVAL else row.participant
            out.append(
                Awaiting(
                    meaning=meaning,
                    meaning_label=Meaning(meaning).label,
                    record_type=SIGNED_RECORD_TYPE[Meaning(meaning)],
                    record_id=row.pk,
                    participant=record_participant,
                    label=label(row),
                    invalidated=invalidated.get(row.pk),
                )
            )

    meaning = Meaning.ELIGIBILITY
    signed, invalidated = _signed(meaning), invalidated_by_meaning[meaning]
    rows = (
        screening.objects.filter(eligible=True)
        .exclude(participant__status="screen_failed")
        .filter(Q(participant__status="screening") | Q(pk__in=invalidated))
        .exclude(pk__in=signed)
        .select_related("participant")
        .order_by("participant__screening_seq")
    )
    add(
        meaning,
        rows,
        lambda row: _("Eligibility of %(number)s") % {"number": row.participant.screening_number},
        invalidated,
    )

    meaning = Meaning.AE_CAUSALITY
    signed, invalidated = _signed(meaning), invalidated_by_meaning[meaning]
    rows = (
        adverse_event.objects.exclude(relationship="")
        .exclude(pk__in=signed)
        .select_related("participant")
        .order_by("participant__screening_seq", "ae_number")
    )
    add(meaning, rows, lambda row: f"AE {row.ae_number} ({row.term}) — {row.participant.screening_number}", invalidated)

    meaning = Meaning.HOLD_RELEASE
    signed, invalidated = _signed(meaning), invalidated_by_meaning[meaning]
    rows = hold.objects.filter(pk__in=invalidated).exclude(pk__in=signed).select_related("participant").order_by("pk")
    add(
        meaning,
        rows,
        lambda row: _("Safety hold release of %(number)s") % {"number": row.participant.screening_number},
        invalidated,
    )

    meaning = Meaning.CASEBOOK_APPROVAL
    signed, invalidated = _signed(meaning), invalidated_by_meaning[meaning]
    rows = (
        participant.objects.filter(status__in=CASEBOOK_STATUSES)
        .exclude(pk__in=signed)
        .exclude(data_queries__state__in=UNRESOLVED_QUERY_STATES)  # casebook_blockers, in one query
        .order_by("screening_seq")
    )
    add(meaning, rows, lambda row: _("Casebook of %(number)s") % {"number": row.screening_number}, invalidated)
    return out
