"""The second factor of a re-authentication: a TOTP or backup code when the user has a confirmed device."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device

OTP_REQUIRED = _("Enter the code of your authenticator app (or a backup code).")
OTP_WRONG = _("The code is not correct.")


def check_second_factor(user, otp: str | None) -> None:
    """Nothing when `user` has no confirmed device or `otp` verifies on one; else ValidationError on `otp`."""
    if not user_has_device(user, confirmed=True):
        return
    token = (otp or "").strip().replace(" ", "")
    if not token:
        raise ValidationError({"otp": [OTP_REQUIRED]})
    if not any(device.verify_token(token) for device in devices_for_user(user, confirmed=True)):
        raise ValidationError({"otp": [OTP_WRONG]})
