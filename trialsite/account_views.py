"""The profile page: who you are, your personal API tokens (create, list, revoke) and your password."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from trialsite.access import requires
from trialsite.models import ApiToken
from trialsite.reauth import PasswordRejected, check_password_again
from trialsite.roles import Cap

MAX_EXPIRY_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, label=_("Name"), help_text=_("What the token is for, e.g. “SAS nightly pull”.")
    )
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        label=_("Expires in (days)"),
        help_text=_("Leave empty for a token that does not expire."),
    )


def issue_token(*, user, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """Create a personal token for `user`; returns the row and the key (the only time it exists in clear)."""
    expiry = timedelta(days=expires_in_days) if expires_in_days else None
    return ApiToken.objects.create(user=user, expiry=expiry, name=name)


@requires(Cap.OWN_TOKEN)
def profile(request: HttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _token, new_key = issue_token(
                user=request.user, name=form.cleaned_data["name"], expires_in_days=form.cleaned_data["expires_in_days"]
            )
            form = TokenForm()
    else:
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created")
    response = render(request, "account/tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})
    response["Cache-Control"] = "no-store"  # the new key must not linger in a cache
    return response


@requires(Cap.OWN_TOKEN)
@require_POST
def revoke_token(request: HttpRequest, token_key: str) -> HttpResponse:
    deleted, _count = ApiToken.objects.filter(user=request.user, token_key=token_key).delete()
    if deleted:
        messages.success(request, gettext("The token was revoked; requests using it are now refused."))
    else:
        messages.error(request, gettext("No such token."))
    return redirect("profile")


class LockoutPasswordChangeForm(PasswordChangeForm):
    """Django's password change, the old password re-entered through the lockout like every password
    re-entry (trialsite.reauth): django-axes counts a wrong one and locks the account at the fifth
    (AXES_FAILURE_LIMIT); `locked` then says so. Validated before the password is saved, as the
    re-entry's contract asks (no write before it)."""

    locked = False

    def __init__(self, user, *args, request: HttpRequest, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        try:
            check_password_again(self.request, self.user, old_password)
        except PasswordRejected as rejected:
            self.locked = rejected.locked
            if self.locked:
                raise forms.ValidationError(rejected.messages, code="locked") from None
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect") from None
        return old_password


def record_password_change(user) -> None:
    """The change in the admin's log (who, UTC time; never the password), read-only for everyone."""
    LogEntry.objects.log_actions(
        user.pk, User.objects.filter(pk=user.pk), CHANGE, change_message="Password changed.", single_object=True
    )


@requires(Cap.HOME)
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: HttpRequest) -> HttpResponse:
    form = LockoutPasswordChangeForm(request.user, request.POST or None, request=request)
    if request.method == "POST":
        valid = form.is_valid()
        if form.locked:
            logout(request)  # the fifth wrong password: signed out, and shown the lockout page
            return render(request, "registration/locked_out.html", status=429)
        if valid:
            user = form.save()
            record_password_change(user)
            update_session_auth_hash(request, user)  # this session stays signed in; others end
            messages.success(request, gettext("Your password was changed."))
            return redirect("profile")
    response = render(request, "account/password_change.html", {"form": form})
    response["Cache-Control"] = "no-store"
    return response
