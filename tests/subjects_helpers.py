"""Shared steps for the subjects tests: a participant taken through the services."""

from datetime import date
from decimal import Decimal

from django.test import RequestFactory

from subjects import services
from tests.conftest import PASSWORD

EXCLUSIONS_NO = {
    "pregnant_or_breastfeeding": False,
    "active_infection": False,
    "recent_malignancy": False,
    "prior_stem_cell_therapy": False,
    "recent_systemic_therapy": False,
    "recent_trial_participation": False,
    "severe_organ_disease": False,
    "product_allergy": False,
}

SCREENING = {
    "screening_date": date(2024, 1, 3),
    "planned_day1_date": date(2024, 1, 10),
    "weight_kg": Decimal("63.5"),
    "height_cm": Decimal("168.0"),
    "bsa_percent": Decimal("15.0"),
    **EXCLUSIONS_NO,
}


def register(user, **overrides):
    fields = {
        "initials": "AB",
        "sex": "F",
        "date_of_birth": date(1980, 5, 17),
        "consent_date": date(2024, 1, 2),
        "consent_version": "1.0",
        **overrides,
    }
    return services.participant_register(user=user, **fields)


def screened(user, *, pasi=Decimal("12.4"), **screening_overrides):
    p = register(user)
    services.screening_save(participant=p, user=user, **{**SCREENING, **screening_overrides})
    if pasi is not None:
        services.screening_set_pasi(participant=p, pasi_total=pasi, user=user)
    p.refresh_from_db()
    return p


def signoff_request():
    """A request to sign off from: the password is checked through django-axes, which records where from."""
    return RequestFactory().post("/")


def signed_off(coordinator, investigator, password, **kwargs):
    p = screened(coordinator, **kwargs)
    services.eligibility_signoff(participant=p, investigator=investigator, password=password, request=signoff_request())
    p.refresh_from_db()
    return p


def enrolled(coordinator, investigator, password, **kwargs):
    p = signed_off(coordinator, investigator, password, **kwargs)
    return services.participant_enroll(participant=p, user=coordinator)


def signoff_of(participant=None):
    """The valid eligibility sign-off (signature) of `participant` (default: the only one), or None."""
    from signatures.models import Meaning, Signature

    signatures = Signature.objects.filter(meaning=Meaning.ELIGIBILITY, invalidated_at=None)
    if participant is not None:
        signatures = signatures.filter(participant=participant)
    return signatures.first()


# The re-authentication of a signing act in a service call (AE causality, hold release).
SIGNED = {"password": PASSWORD, "request": RequestFactory().post("/")}
