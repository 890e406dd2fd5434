"""Two-factor login (TOTP through django-otp), its enrolment, backup codes and the administrator's reset.

The password step is Django's login (through django-axes). When the user has a confirmed device, or
must have one (settings.REQUIRE_2FA and a role in settings.TWO_FACTOR_ROLES), the login leaves a
mark in the session and the access middleware sends every page to the second step (verify, or
enrol) until it is done; the mark is only set there, so no page pays a query for it. API tokens are
unaffected: they are created on the profile page, after the two-factor login.
"""

import secrets

import segno
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from trialsite.access import SECOND_FACTOR_STEP

SESSION_STEP = SECOND_FACTOR_STEP  # "verify" or "enrol" while the login is not complete
BACKUP_CODES = 10


def two_factor_required(user) -> bool:
    if not settings.REQUIRE_2FA:
        return False
    return bool(set(user.groups.values_list("name", flat=True)) & set(settings.TWO_FACTOR_ROLES))


def step_after_password(user) -> str | None:
    """What the login still needs after the password: "verify", "enrol" or nothing."""
    if user_has_device(user, confirmed=True):
        return "verify"
    if two_factor_required(user):
        return "enrol"
    return None


def totp_device_start(user) -> TOTPDevice:
    """The user's unconfirmed authenticator (a new secret unless one is being enrolled)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4)


@transaction.atomic
def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the enrolment with a code of the app; the backup codes (shown once), or None when wrong.

    A confirmed device replaces the previous ones; the session counts as verified with it."""
    if not device.verify_token((token or "").replace(" ", "")):
        return None
    user = device.user
    for old in devices_for_user(user, confirmed=None):
        if old.pk != device.pk or not isinstance(old, TOTPDevice):
            old.delete()
    device.confirmed = True
    device.save()
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    otp_login(request, device)
    request.session.pop(SESSION_STEP, None)
    return codes


def second_factor_verify(request, token: str) -> bool:
    """The second login step: a TOTP code or an unused backup code (used up)."""
    device = match_token(request.user, (token or "").replace(" ", ""))
    if device is None:
        return False
    otp_login(request, device)
    request.session.pop(SESSION_STEP, None)
    return True


@transaction.atomic
def two_factor_reset(*, user: User, administrator: User) -> int:
    """Remove every device of `user` (a lost phone); recorded in the admin log. The number removed."""
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    LogEntry.objects.log_actions(
        administrator.pk,
        User.objects.filter(pk=user.pk),
        CHANGE,
        change_message=f"Two-factor devices reset ({len(devices)} removed).",
        single_object=True,
    )
    return len(devices)
