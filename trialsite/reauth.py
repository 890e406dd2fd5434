"""Re-entering one's password (a signature, a sign-off) goes through django-axes like the login.

Every wrong password counts towards the same lockout as failed logins; the 5th locks the account
(logins are refused too, until an administrator runs `manage.py axes_reset_username`), and a right
one resets the count, as a successful login does. Use `check_password_again` for every password
re-entry, so none becomes a way to guess passwords around the lockout.
"""

from axes.utils import reset
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WRONG_PASSWORD = _("The password is not correct.")
LOCKED_MESSAGE = _(
    "Your account is locked after too many wrong passwords: you cannot sign or log in until an administrator "
    "unlocks it."
)


class PasswordRejected(ValidationError):
    """A wrong password or a locked account. Its failed attempt is committed even though the request
    answers with an error (the API keeps the request's transaction for it): call
    `check_password_again` before any write of the request, never inside a transaction of a door."""

    @property
    def locked(self) -> bool:
        """Whether the account is locked (by this attempt or before it), not only the password wrong."""
        return str(LOCKED_MESSAGE) in self.messages  # both in the language of the request


def check_password_again(request, user, password: str | None) -> None:
    """Nothing when `password` is `user`'s; else PasswordRejected on `password` (wrong, or locked).

    `request`: the Django or DRF request (axes records where the attempt came from).
    """
    request = getattr(request, "_request", request)  # DRF wraps Django's request
    authenticated = authenticate(request=request, username=user.get_username(), password=password or "")
    locked = bool(getattr(request, "axes_locked_out", False))
    # The message below says so: axes must not swap this page for its login lockout page.
    request.axes_locked_out = False
    if locked:
        raise PasswordRejected({"password": [LOCKED_MESSAGE]})
    if authenticated is None or authenticated.pk != user.pk:
        raise PasswordRejected({"password": [WRONG_PASSWORD]})
    reset(username=user.get_username())
