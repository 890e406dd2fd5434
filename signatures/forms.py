from django import forms
from django.utils.translation import gettext_lazy as _


class SignatureFields(forms.Form):
    """The re-authentication of a signature: the password, and the code of the second factor when the
    signer has one (left empty otherwise)."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
        label=_("Your password"),
        help_text=_("Re-enter your password to sign."),
    )
    otp = forms.CharField(
        required=False,
        max_length=16,
        label=_("Authenticator code"),
        help_text=_("Only if you enrolled an authenticator app: its current code, or a backup code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SignForm(SignatureFields):
    """A signing act that is only a signature: the casebook approval, or signing again."""
