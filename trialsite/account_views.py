"""The profile page: who you are and your personal API tokens (create, list, revoke)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trialsite.access import requires
from trialsite.models import ApiToken
from trialsite.roles import Cap

MAX_EXPIRY_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “SAS nightly pull”.")
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        label="Expires in (days)",
        help_text="Leave empty for a token that does not expire.",
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
    deleted, _ = ApiToken.objects.filter(user=request.user, token_key=token_key).delete()
    if deleted:
        messages.success(request, "The token was revoked; requests using it are now refused.")
    else:
        messages.error(request, "No such token.")
    return redirect("profile")
