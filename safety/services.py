"""The doors for writing safety data: adverse events, causality, SAE reports and safety holds.

Each function is transactional and audited. A safety hold is placed inside the same transaction
as the AE write that triggers it, and a serious AE writes its notification outbox row there too
(the e-mail is sent after commit by safety.tasks.send_notification). Every write here changes
what the DMC dashboard shows: its cached figures are stale once it commits (trialsite.figures).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, OuterRef
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dosing.models import Infusion
from safety import rules
from safety.ae_coding import code_on_save
from safety.models import AdverseEvent, Notification, Relationship, SafetyHold
from signatures.models import Meaning
from signatures.services import signature_add, signer_reauthenticate, valid_signature
from subjects.models import Participant, Study
from subjects.sitetime import site_today
from trialsite import figures
from trialsite.audit import audited_save, check_version, reason_error
from trialsite.roles import Cap, has_cap
from trialsite.tasking import enqueue_on_commit

# Fields a coordinator or investigator may give when recording or editing an AE.
AE_FIELDS = (
    "term",
    "onset_date",
    "end_date",
    "ongoing",
    "grade",
    "serious",
    *rules.SERIOUS_CRITERIA_FIELDS,
    "relationship",
    "expected",
    "action_taken",
    "outcome",
    "infusion_reaction",
    "infusion",
    "awareness_time",
    "reported_to_sponsor_at",
)
CAUSALITY_FIELDS = ("relationship", "expected")
CAUSALITY_INVESTIGATOR_ONLY = gettext_lazy(
    "Only an investigator can change the relationship or expectedness of a recorded AE."
)
NEVER_CONSENTED = gettext_lazy("This participant has no informed consent on record: an AE cannot be recorded.")


def adverse_event_record(*, participant: Participant, user, **fields) -> AdverseEvent:
    """Record a new AE with the next ae_number of the participant (1, 2 … without gaps)."""
    _refuse_unknown(fields)
    if not participant.consent_date:
        raise ValidationError({"participant": [NEVER_CONSENTED]})
    with transaction.atomic():
        # The participant row is the lock that serialises ae_number assignment.
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if not locked.consent_date:
            raise ValidationError({"participant": [NEVER_CONSENTED]})
        last = locked.adverse_events.aggregate(last=Max("ae_number"))["last"] or 0
        adverse_event = AdverseEvent(participant=locked, ae_number=last + 1, **fields)
        if has_cap(user, Cap.SIGN_OFF):
            adverse_event.causality_assessed_by = user
            adverse_event.causality_assessed_at = timezone.now()
        _validate(adverse_event)
        code_on_save(adverse_event, previous_term=None)
        audited_save(adverse_event, user=user)
        _after_write(adverse_event, user=user)
    participant.refresh_from_db()
    return adverse_event


def adverse_event_update(
    *, adverse_event: AdverseEvent, user, reason: str, expected_version: int | None = None, **fields
) -> AdverseEvent:
    """Change a recorded AE with a reason; causality (relationship/expected) is investigator-only.

    `expected_version` (here and below): the version of the record the caller read; EditConflict
    when it changed since (None: the caller read it in this transaction).
    """
    _refuse_unknown(fields)
    if not (reason or "").strip():
        raise reason_error()
    with transaction.atomic():
        locked = _locked(adverse_event)
        check_version(locked, expected_version)
        changed_causality = [f for f in CAUSALITY_FIELDS if f in fields and fields[f] != getattr(locked, f)]
        if changed_causality:
            if not has_cap(user, Cap.SIGN_OFF):
                raise ValidationError({f: [CAUSALITY_INVESTIGATOR_ONLY] for f in changed_causality})
            locked.causality_assessed_by = user
            locked.causality_assessed_at = timezone.now()
        previous_term = locked.term
        for name, value in fields.items():
            setattr(locked, name, value)
        _validate(locked)
        code_on_save(locked, previous_term=previous_term)
        audited_save(locked, user=user, reason=reason)
        _after_write(locked, user=user)
    return locked


def adverse_event_assess(
    *,
    adverse_event: AdverseEvent,
    investigator,
    relationship: str,
    expected: bool,
    reason: str,
    password: str | None,
    request,
    otp: str | None = None,
    expected_version: int | None = None,
) -> AdverseEvent:
    """The investigator's (re-)assessment of causality and expectedness, audited with a reason and
    signed ("I have assessed the causality of this adverse event"): re-authenticated with the password
    through the login lockout (before the transaction, so a failure counts) and the second factor."""
    if not has_cap(investigator, Cap.SIGN_OFF):
        raise PermissionDenied(_("Only an investigator can assess causality and expectedness."))
    if not (reason or "").strip():
        raise reason_error()
    signer_reauthenticate(request=request, signer=investigator, password=password, otp=otp)
    with transaction.atomic():
        locked = _locked(adverse_event)
        check_version(locked, expected_version)
        locked.relationship = relationship
        locked.expected = expected
        locked.causality_assessed_by = investigator
        locked.causality_assessed_at = timezone.now()
        _validate(locked)
        audited_save(locked, user=investigator, reason=reason)
        _after_write(locked, user=investigator)
        if valid_signature(Meaning.AE_CAUSALITY, locked) is None:  # unchanged values keep their signature
            signature_add(signer=investigator, meaning=Meaning.AE_CAUSALITY, record=locked)
    return locked


def sae_mark_reported(
    *,
    adverse_event: AdverseEvent,
    user,
    reported_at: datetime,
    reason: str | None = None,
    expected_version: int | None = None,
):
    """Record when the SAE was reported to the sponsor (stops the 24 h clock)."""
    with transaction.atomic():
        locked = _locked(adverse_event)
        check_version(locked, expected_version)
        if not locked.serious:
            raise ValidationError({"reported_to_sponsor_at": [_("Only a serious AE is reported to the sponsor.")]})
        if locked.reported_to_sponsor_at is not None and not (reason or "").strip():
            raise reason_error()
        locked.reported_to_sponsor_at = reported_at
        _validate(locked)
        audited_save(locked, user=user, reason=(reason or "").strip() or "SAE reported to the sponsor")
        figures.study_data_changed()
    return locked


def safety_hold_release(
    *,
    hold: SafetyHold,
    investigator,
    reason: str,
    password: str | None,
    request,
    otp: str | None = None,
    expected_version: int | None = None,
) -> SafetyHold:
    """Release a hold (after DMC review), signed ("I release this safety hold after DMC review") after
    re-authentication; the participant leaves hold when no other hold is open."""
    if not has_cap(investigator, Cap.RELEASE_HOLD):
        raise PermissionDenied(_("Only an investigator can release a safety hold."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("A reason is required to release a safety hold.")]})
    signer_reauthenticate(request=request, signer=investigator, password=password, otp=otp)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=hold.participant_id)
        locked = SafetyHold.objects.select_for_update().get(pk=hold.pk)
        check_version(locked, expected_version)
        if locked.released_at is not None:
            raise ValidationError({"reason": [_("This safety hold has already been released.")]})
        locked.released_at = timezone.now()
        locked.released_by = investigator
        locked.release_reason = reason
        audited_save(locked, user=investigator, reason=f"Safety hold released: {reason}")
        remaining = participant.safety_holds.filter(released_at=None).order_by("placed_at").first()
        if remaining is None:
            participant.on_safety_hold = False
            participant.safety_hold_reason = ""
            participant.safety_hold_since = None
        else:
            participant.safety_hold_reason = remaining.reason
            participant.safety_hold_since = remaining.placed_at
        audited_save(participant, user=investigator, reason=f"Safety hold released: {reason}")
        signature_add(signer=investigator, meaning=Meaning.HOLD_RELEASE, record=locked)
        figures.study_data_changed()
    hold.refresh_from_db()
    return hold


@dataclass(frozen=True)
class DmcAlert:
    participants: int
    threshold: int

    @property
    def active(self) -> bool:
        return rules.dmc_alert_reached(self.participants, self.threshold)

    def __bool__(self) -> bool:
        return self.active


def treatment_emergent_annotation() -> ExpressionWrapper:
    return ExpressionWrapper(rules.treatment_emergent_condition(), output_field=BooleanField())


def safety_population_condition(participant: str = "pk") -> Exists:
    """Participants (or, with participant="participant", their records) in the safety population:
    at least one infusion given, as DMC reports count them."""
    return Exists(Infusion.objects.filter(participant=OuterRef(participant)))


def signal_events(study: Study):
    """AEs that are safety signals: those that put their participant on hold."""
    return AdverseEvent.objects.filter(rules.safety_hold_condition(study.hold_min_grade))


def dmc_alert(study: Study | None = None) -> DmcAlert:
    """Whether the number of participants with a safety signal reached the study's DMC threshold."""
    study = study or Study.current()
    count = signal_events(study).values("participant").distinct().count()
    return DmcAlert(participants=count, threshold=study.dmc_alert_threshold)


# --- internals -----------------------------------------------------------------------------


def _locked(adverse_event: AdverseEvent) -> AdverseEvent:
    """The AE, its participant locked first (as every door does: one participant's writers queue there)."""
    participant = Participant.objects.select_for_update().get(pk=adverse_event.participant_id)
    locked = AdverseEvent.objects.select_for_update().get(pk=adverse_event.pk)
    locked.participant = participant
    return locked


def _refuse_unknown(fields: dict) -> None:
    unknown = sorted(set(fields) - set(AE_FIELDS))
    if unknown:
        raise TypeError(f"not adverse event fields: {', '.join(unknown)}")


def facts_of(adverse_event: AdverseEvent, participant: Participant) -> rules.AdverseEventFacts:
    infusion = adverse_event.infusion if adverse_event.infusion_id else None
    return rules.AdverseEventFacts(
        onset_date=adverse_event.onset_date,
        end_date=adverse_event.end_date,
        ongoing=adverse_event.ongoing,
        grade=adverse_event.grade,
        serious=adverse_event.serious,
        criteria={key: getattr(adverse_event, key) for key in rules.SERIOUS_CRITERIA_FIELDS},
        outcome=adverse_event.outcome,
        awareness_time=adverse_event.awareness_time,
        reported_to_sponsor_at=adverse_event.reported_to_sponsor_at,
        infusion_reaction=adverse_event.infusion_reaction,
        has_infusion=infusion is not None,
        infusion_of_participant=infusion is None or infusion.participant_id == participant.pk,
        consent_date=participant.consent_date,
        relationship=adverse_event.relationship,
        day1_date=participant.day1_date,
        site_zone=timezone.get_current_timezone(),
    )


def _validate(adverse_event: AdverseEvent) -> None:
    errors = rules.consistency_errors(
        facts_of(adverse_event, adverse_event.participant), today=site_today(), now=timezone.now()
    )
    if errors:
        raise ValidationError(errors)


def _after_write(adverse_event: AdverseEvent, *, user) -> None:
    """Effects of an AE write, in its transaction: notification outbox row, safety hold, and the
    DMC dashboard's figures stale from its commit on."""
    figures.study_data_changed()
    if adverse_event.serious:
        notification, created = Notification.objects.get_or_create(
            adverse_event=adverse_event, kind=Notification.Kind.SAE_CREATED
        )
        if created:
            enqueue_on_commit("safety.tasks.send_notification", notification.id)
    study = Study.current()
    if rules.triggers_safety_hold(
        grade=adverse_event.grade,
        serious=adverse_event.serious,
        relationship=adverse_event.relationship,
        hold_min_grade=study.hold_min_grade,
        treatment_emergent=rules.is_treatment_emergent(adverse_event.onset_date, adverse_event.participant.day1_date),
    ):
        _place_hold(adverse_event, user=user)


HOLD_REASON_KEYS = ("ae_number", "serious", "grade", "relationship")
STORED_LANGUAGE = "en-gb"  # stored texts (hold reasons) stay English, as exports and the audit trail do


def hold_reason_of(adverse_event: Mapping, *, pseudonymised: bool = False) -> str:
    """Why a hold is placed, from its AE's values ({key: value}, HOLD_REASON_KEYS and the term), e.g.
    "AE 2 (Fever): serious, grade 3, relationship to UCMSCs probable". Pseudonymised (what DMC
    reviewers read): without the verbatim term, which is free text."""
    values = {
        "number": adverse_event["ae_number"],
        "grade": adverse_event["grade"],
        "relationship": Relationship(adverse_event["relationship"]).label.lower(),
    }
    if pseudonymised:
        if adverse_event["serious"]:
            return _("AE %(number)s: serious, grade %(grade)s, relationship to UCMSCs %(relationship)s") % values
        return _("AE %(number)s: grade %(grade)s, relationship to UCMSCs %(relationship)s") % values
    values["term"] = adverse_event["term"]
    if adverse_event["serious"]:
        return _("AE %(number)s (%(term)s): serious, grade %(grade)s, relationship to UCMSCs %(relationship)s") % values
    return _("AE %(number)s (%(term)s): grade %(grade)s, relationship to UCMSCs %(relationship)s") % values


# For figures cached for readers of every language (safety.dashboard): translated when shown.
hold_reason_lazy = lazy(hold_reason_of, str)


def _place_hold(adverse_event: AdverseEvent, *, user) -> SafetyHold | None:
    if SafetyHold.objects.filter(adverse_event=adverse_event).exists():
        return None  # one hold per AE; a released hold is not placed again by a later edit
    participant = Participant.objects.select_for_update().get(pk=adverse_event.participant_id)
    now = timezone.now()
    # Stored (and audited) in the study's record language, whoever's language the writer reads.
    with translation.override(STORED_LANGUAGE):
        reason = hold_reason_of({key: getattr(adverse_event, key) for key in (*HOLD_REASON_KEYS, "term")})
    hold = audited_save(
        SafetyHold(participant=participant, adverse_event=adverse_event, placed_at=now, reason=reason), user=user
    )
    if not participant.on_safety_hold:
        participant.on_safety_hold = True
        participant.safety_hold_reason = reason
        participant.safety_hold_since = now
        audited_save(participant, user=user, reason=f"Safety hold placed: {reason}")
    adverse_event.participant = participant
    return hold
