"""Which language a request is served in.

1. the user's own choice (their profile, copied into the session at login and when they switch);
2. else the language cookie or the browser's Accept-Language, when it names a language we offer;
3. else the study's default language (Study.default_language, study configuration): applied by
   subjects.sitetime.StudyMiddleware, which reads the study for the view anyway.

Exports, the API's field names and codes, and everything stored stay English whatever the language.
"""

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.mail import send_mail
from django.dispatch import receiver
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views import i18n as django_i18n
from django.views.decorators.http import require_POST

from trialsite.access import public
from trialsite.models import UserPreference

SESSION_KEY = "language"


def supported(code: str | None) -> str | None:
    """The language we offer for `code` (zh-CN -> zh-hans, en-US -> en-gb), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def user_language(user) -> str | None:
    """The language `user` chose on their profile, or None (e-mails fall back to the study's default)."""
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or None


def emails_by_language(users, default: str) -> dict[str, list[str]]:
    """The e-mail addresses of `users` (a queryset) grouped by the language their e-mails are written
    in: their profile's choice, else `default` (the study's default language)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for email, language in users.exclude(email="").values_list("email", "preference__language"):
        groups[supported(language) or default].add(email)
    return {language: sorted(emails) for language, emails in sorted(groups.items())}


def send_in_languages(groups: dict[str, list[str]], render: Callable[[], tuple[str, str]]) -> list[str]:
    """One e-mail per language group, rendered by `render()` (subject, body) in that language; returns
    every address written to. Raises on the first failure (the callers' outboxes retry)."""
    sent = []
    for language, to in groups.items():
        with translation.override(language):
            subject, body = render()
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
        sent += to
    return sent


def browser_language(request) -> str | None:
    """The language cookie's, else the first of Accept-Language's languages we offer; None when neither."""
    cookie = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if cookie:
        return cookie
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code != "*" and (language := supported(code)):
            return language
    return None


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary) with our order of choice; sets
    request.language_chosen False when the study's default is to decide."""

    def process_request(self, request):
        session = getattr(request, "session", None)
        language = supported(session.get(SESSION_KEY)) if session is not None else None
        language = language or browser_language(request)
        request.language_chosen = language is not None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


def in_study_language(view):
    """Marks a public page (the login) that a visitor with no language of their own sees in the study's."""
    view.study_language = True
    return view


@receiver(user_logged_in)
def _language_at_login(sender, request, user, **kwargs):
    language = user_language(user)
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language


@public
@in_study_language
@require_POST
def set_language(request):
    """The header's language switch: Django's set_language (cookie, safe redirect back), and for a
    signed-in user the choice is also kept on their profile and in the session."""
    response = django_i18n.set_language(request)
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    return response
