"""Pages of the two-factor login: the second step, the enrolment (QR code, backup codes) and the reset."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from trialsite import two_factor
from trialsite.access import public, requires, second_factor_step
from trialsite.i18n import in_study_language
from trialsite.roles import Cap


class CodeForm(forms.Form):
    token = forms.CharField(
        max_length=16,
        label=pgettext_lazy("one-time code of an authenticator app", "Code"),
        help_text=gettext_lazy("The 6-digit code of your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


class TwoStepLoginView(auth_views.LoginView):
    """The password (through django-axes), then the second step when the user has or needs a device."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        step = two_factor.step_after_password(self.request.user)
        if step is None:
            return response
        self.request.session[two_factor.SESSION_STEP] = step
        url = "two_factor_verify" if step == "verify" else "two_factor_enrol"
        return redirect(f"{redirect(url).url}?next={self.get_success_url()}")


login = public(in_study_language(TwoStepLoginView.as_view()))


@second_factor_step
@requires(Cap.HOME)
def verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.second_factor_verify(request, form.cleaned_data["token"]):
            return redirect(_next(request))
        form.add_error("token", _("The code is not correct."))
    return render(request, "account/two_factor_verify.html", {"form": form, "next": _next(request)})


@second_factor_step
@requires(Cap.HOME)
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, confirm with a code, note the backup codes (shown once)."""
    if request.session.get(two_factor.SESSION_STEP) == "verify":
        return redirect("two_factor_verify")  # a second device needs the first one's code first
    device = two_factor.totp_device_start(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            messages.success(request, _("Two-factor login is on for your account."))
            return render(request, "account/two_factor_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("token", _("The code is not correct."))
    context = {
        "form": form,
        "qr": two_factor.qr_svg(device),
        "secret": device.bin_key.hex(),
        "config_url": device.config_url,
        "required": request.session.get(two_factor.SESSION_STEP) == "enrol",
        "next": _next(request),
    }
    return render(request, "account/two_factor_enrol.html", context)


@requires(Cap.MANAGE_USERS)
@require_POST
def reset(request: HttpRequest, username: str) -> HttpResponse:
    """An administrator removes a user's devices (a lost phone): recorded in the admin log."""
    user = get_object_or_404(User, username=username)
    removed = two_factor.two_factor_reset(user=user, administrator=request.user)
    messages.success(
        request, _("%(count)d two-factor device(s) of %(user)s removed.") % {"count": removed, "user": user}
    )
    return redirect("admin:auth_user_change", user.pk)
