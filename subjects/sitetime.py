"""The site's time zone (PROTOCOL §7): calendar dates are site dates, and times are stored in UTC and
shown in the site's time zone. The zone is study configuration (Study.time_zone); services, tasks
and exports ask here, and StudyMiddleware makes it the current time zone of each request, so
templates (|date), forms and the API show and read times in it. settings.TIME_ZONE is only the
default outside a request.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from subjects.models import Study


def site_zone(study: Study | None = None) -> ZoneInfo:
    return ZoneInfo((study or Study.current()).time_zone)


def site_today(study: Study | None = None) -> date:
    """Today's calendar date at the site."""
    return timezone.localdate(timezone=site_zone(study))


def site_date(moment: datetime, study: Study | None = None) -> date:
    """The site's calendar date at `moment`."""
    return timezone.localtime(moment, site_zone(study)).date()


class StudyMiddleware:
    """Reads the study configuration once for the view (request.study) and activates the site's time
    zone. After AccessMiddleware: an anonymous request is sent to the login page first; public views,
    such as the health checks, read no study."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "public", False):
            request.study = Study.current()
            timezone.activate(site_zone(request.study))
            self._study_language(request, request.study)
        elif getattr(view_func, "study_language", False):
            self._study_language(request, None)

    @staticmethod
    def _study_language(request, study: Study | None) -> None:
        """The study's default language for a visitor who has none of their own (trialsite.i18n)."""
        if getattr(request, "language_chosen", True):
            return
        translation.activate((study or Study.current()).default_language)
        request.LANGUAGE_CODE = translation.get_language()
