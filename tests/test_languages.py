"""English and Simplified Chinese: who gets which language, what is formatted per language, and what
never changes with it (exports, API field names and codes)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from safety.models import Reminder
from safety.tasks import participant_reminders
from subjects import services
from subjects.models import Study
from subjects.sitetime import site_today
from subjects.visits import visit_record
from tests import factories
from tests.conftest import PASSWORD, logged_in
from tests.export_data import build_study_data
from tests.test_site_time import adverse_event
from trialsite.models import UserPreference

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


# --- Which language -----------------------------------------------------------------------------


def test_a_visitor_gets_the_browsers_language_else_the_studys(administrator):
    services.study_update(user=administrator, reason="Sites in China", default_language="zh-hans")
    assert html_lang(Client().get("/accounts/login/")) == "zh-Hans"  # no Accept-Language: the study's
    assert html_lang(Client(headers={"accept-language": "en-US,en;q=0.9"}).get("/accounts/login/")) == "en"
    assert html_lang(Client(headers={"accept-language": "zh-CN,zh;q=0.9"}).get("/accounts/login/")) == "zh-Hans"
    # a language we do not offer falls through to the study's
    assert html_lang(Client(headers={"accept-language": "fr-FR"}).get("/accounts/login/")) == "zh-Hans"


def test_the_english_default_study_serves_english_without_a_header(coordinator):
    assert Study.current().default_language == "en-gb"
    assert html_lang(logged_in(coordinator).get("/accounts/profile/")) == "en"


def test_the_profile_choice_wins_and_is_kept_across_logins(coordinator):
    browser = Client(headers={"accept-language": "en-GB"})
    browser.force_login(coordinator)
    response = browser.post("/language/", {"language": "zh-hans", "next": "/accounts/profile/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert UserPreference.objects.get(user=coordinator).language == "zh-hans"
    assert html_lang(browser.get("/accounts/profile/")) == "zh-Hans"

    # another browser, English Accept-Language, no cookie: the login brings the profile's choice
    other = Client(headers={"accept-language": "en-GB"})
    assert html_lang(other.get("/accounts/login/")) == "en"
    other.post("/accounts/login/", {"username": coordinator.username, "password": PASSWORD})
    assert html_lang(other.get("/accounts/profile/")) == "zh-Hans"
    assert other.get("/accounts/profile/").headers["Content-Language"] == "zh-hans"


def test_the_switch_refuses_a_language_we_do_not_offer_and_unsafe_redirects(coordinator):
    browser = logged_in(coordinator)
    browser.post("/language/", {"language": "xx", "next": "/"})
    assert not UserPreference.objects.filter(user=coordinator).exists()
    response = browser.post("/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_switch_works_before_login():
    response = Client().post("/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "zh-hans"
    returning = Client()
    returning.cookies["django_language"] = "zh-hans"
    assert html_lang(returning.get("/accounts/login/")) == "zh-Hans"


def test_api_messages_follow_accept_language_but_names_and_codes_do_not(coordinator):
    refused = Client(headers={"accept-language": "zh-CN"}).get("/api/v1/participants/")
    assert refused.status_code in (401, 403)
    assert "身份认证信息未提供" in refused.json()["detail"]
    english = Client(headers={"accept-language": "en"}).get("/api/v1/participants/")
    assert english.json()["detail"] == "Authentication credentials were not provided."
    factories.participant(coordinator)
    listed = logged_in(coordinator).get("/api/v1/participants/", headers={"accept-language": "zh-CN"}).json()
    row = listed["results"][0]
    assert "screening_number" in row and row["status"] == "screening"


# --- Formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "day", "number"),
    [("en-gb", "2026-12-04", "254,000,000"), ("zh-hans", "2026年12月4日", "254,000,000")],
)
def test_dates_and_numbers_on_pages_follow_the_language(language, day, number):
    template = Template("{% load numbers %}{{ day|date }}|{{ cells|grouped }}")
    with translation.override(language):
        assert template.render(Context({"day": date(2026, 12, 4), "cells": 254_000_000})) == f"{day}|{number}"


def test_exports_are_the_same_bytes_in_both_languages(coordinator, data_manager):
    with time_machine.travel(datetime(2024, 3, 1, 2, 0), tick=False):
        build_study_data(coordinator)
        client = logged_in(data_manager)
        for url in (
            "/api/v1/exports/sdtm/dm.csv",
            "/api/v1/exports/sdtm/ae.csv",
            "/api/v1/exports/sdtm/vs.csv",
            "/api/v1/exports/sdtm/ie.csv",
            "/api/v1/exports/define.xml",
            "/api/v1/data-dictionary/",
        ):
            english = client.get(url, headers={"accept-language": "en"})
            chinese = client.get(url, headers={"accept-language": "zh-CN"})
            assert english.status_code == 200, url
            english, chinese = _body(english), _body(chinese)
            assert english and english == chinese, url


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- One site day -------------------------------------------------------------------------------


def test_at_2330_utc_the_window_the_onset_check_and_the_reminder_agree_on_the_site_date(coordinator):
    """23:30 UTC is 07:30 the next day in Shanghai: that next day is "today" for all three."""
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 3, 1))
    w2 = participant.visits.get(visit_code="W2")
    site_day = w2.window_start  # the W2 window opens on this site date
    moment = datetime(site_day.year, site_day.month, site_day.day, 23, 30) - timedelta(days=1)
    with time_machine.travel(moment.replace(tzinfo=UTC), tick=False):
        assert site_today() == site_day

        # the reminder: the sweep that a save enqueues finds the window open today
        Reminder.objects.all().delete()
        participant_reminders(participant.pk)
        opened = Reminder.objects.get(visit=w2, kind=Reminder.Kind.WINDOW_OPEN)
        assert opened.due_date == site_day

        # an AE with onset on the site date is not "in the future"; the next day is
        with pytest.raises(ValidationError) as refused:
            adverse_event(participant, coordinator, onset_date=site_day + timedelta(days=1), awareness_time=None)
        assert "onset_date" in refused.value.message_dict
        assert adverse_event(
            participant, coordinator, onset_date=site_day, awareness_time=None, serious=False, hospitalization=False
        ).pk

        # the visit on the site date is today and inside its window: recorded without a deviation
        recorded = visit_record(visit=w2, user=coordinator, actual_date=site_day)
        assert recorded.actual_date == site_day and not recorded.deviation_reason
        with pytest.raises(ValidationError):
            visit_record(
                visit=participant.visits.get(visit_code="W4"),
                user=coordinator,
                actual_date=site_day + timedelta(days=1),
            )


def test_the_footer_names_the_studys_time_zone(coordinator, administrator):
    services.study_update(user=administrator, reason="Beijing site", time_zone="Asia/Urumqi")
    assert "Asia/Urumqi" in logged_in(coordinator).get("/accounts/profile/").content.decode()


def test_chinese_pages_show_chinese_dates(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 3, 1))
    page = (
        logged_in(coordinator)
        .get(f"/participants/{participant.screening_number}/", headers={"accept-language": "zh-CN"})
        .content.decode()
    )
    assert "2024年3月1日" in page


def test_cached_figures_are_kept_per_language():
    from trialsite import figures

    computed = []

    def compute():
        computed.append(translation.get_language())
        return translation.gettext("Adverse events")

    with translation.override("en-gb"):
        assert figures.cached("labels", compute, timeout=60) == "Adverse events"
    with translation.override("zh-hans"):
        assert figures.cached("labels", compute, timeout=60) == "不良事件"
    with translation.override("en-gb"):
        assert figures.cached("labels", compute, timeout=60) == "Adverse events"
    assert computed == ["en-gb", "zh-hans"]


def test_e_mails_are_written_in_each_recipients_language(coordinator, investigator, mailoutbox):
    from django.contrib.auth import get_user_model

    from trialsite.i18n import emails_by_language, send_in_languages

    coordinator.email, investigator.email = "alice@example.org", "ian@example.org"
    coordinator.save()
    investigator.save()
    UserPreference.objects.create(user=investigator, language="zh-hans")
    users = get_user_model().objects.filter(pk__in=[coordinator.pk, investigator.pk])
    groups = emails_by_language(users, default="en-gb")
    assert groups == {"en-gb": ["alice@example.org"], "zh-hans": ["ian@example.org"]}
    sent = send_in_languages(groups, lambda: (translation.gettext("Adverse events"), "—"))
    assert sorted(sent) == ["alice@example.org", "ian@example.org"]
    assert {(m.to[0], m.subject) for m in mailoutbox} == {
        ("alice@example.org", "Adverse events"),
        ("ian@example.org", "不良事件"),
    }


def test_every_record_type_audited_model_and_field_has_a_chinese_name(data_manager):
    """Model and field names reach the pages (the query and audit-trail filters, record names and field
    labels in the trail, the casebook): one without a marked name showed in English on a Chinese page
    ("Pasi assessment", "participant", "lln")."""
    from exports.audit import audited_models, data_fields
    from trialsite.records import RECORD_TYPES

    models = {*audited_models().values(), *(rt.model_class() for rt in RECORD_TYPES.values())}
    with translation.override("zh-hans"):
        untranslated = sorted(
            model._meta.label
            for model in models
            if not any("\u4e00" <= char <= "\u9fff" for char in str(model._meta.verbose_name))
        )
    assert untranslated == []
    client = logged_in(data_manager)
    # and every field the audit trail, the field history and the casebook name
    fields = [
        (model, model._meta.get_field(f.name))
        for model in audited_models().values()
        for f in data_fields(model.history.model)
    ]
    with translation.override("en-gb"):
        english = {(model, f.name): str(f.verbose_name) for model, f in fields}
    with translation.override("zh-hans"):
        unnamed = sorted(
            f"{model._meta.label}.{f.name}" for model, f in fields if str(f.verbose_name) == english[(model, f.name)]
        )
    assert unnamed == []
    page = client.get("/data/queries/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Pasi assessment" not in page and "PASI 评估" in page and "安全性暂停" in page


def test_the_admin_names_the_projects_apps_in_chinese(administrator):
    client = logged_in(administrator)
    client.post("/language/", {"language": "zh-hans", "next": "/"})
    html = client.get("/admin/").content.decode()
    for chinese, english in (("电子签名", "Electronic signatures"), ("数据管理", "Data management")):
        assert chinese in html and english not in html, english
