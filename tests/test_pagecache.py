"""Cached pages (trialsite.pagecache) and the study-data version behind their keys (trialsite.dataversion).

A page comes from the cache only while nothing it shows can have changed: any write to study data,
users or roles gives a new key; the clock ends an entry at the next midnight, when an SAE report falls
due and, for the DMC dashboard, when the generation minute turns.
"""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safety.services import adverse_event_record
from subjects.models import Participant
from tests import factories
from tests.conftest import is_postgres, logged_in
from trialsite import dataversion
from trialsite.pagecache import HEADER, next_midnight
from trialsite.roles import Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 6, 1, 10, 0, 30, tzinfo=TZ)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def warm(client: Client, url: str):
    """The first request gets the CSRF cookie (not cached without one), the second fills the cache."""
    assert client.get(url)[HEADER] == "bypass"
    response = client.get(url)
    assert response.status_code == 200 and response[HEADER] == "miss", url
    return response


def test_a_repeated_page_comes_from_the_cache_unchanged_and_with_fewer_queries(coordinator):
    factories.participant(coordinator, initials="QZ")
    client = logged_in(coordinator)
    stored = warm(client, "/participants/")
    with CaptureQueriesContext(connection) as queries:
        hit = client.get("/participants/")
    assert hit[HEADER] == "hit"
    assert hit.content == stored.content  # the same bytes, CSRF token included
    assert "SCR-001" in hit.content.decode()
    # the session with the data version; the user with their roles comes from the cache under that
    # version (trialsite.authentication.AuthenticationMiddleware); no transaction
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "django_session" in queries[0]["sql"] and "trialsite_dataversion" in queries[0]["sql"]
    assert client.get("/participants/?q=QZ")[HEADER] == "miss"  # each URL (query string included) on its own


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda user, p: factories.participant(user, initials="NW"), id="audited save"),
        pytest.param(lambda user, p: Participant.objects.filter(pk=p.pk).update(initials="UP"), id="bulk update"),
        pytest.param(lambda user, p: Group.objects.get(name=Role.INVESTIGATOR).user_set.add(user), id="role change"),
    ],
)
def test_any_write_gives_the_page_a_new_key(coordinator, write):
    participant = factories.participant(coordinator, initials="QZ")
    client = logged_in(coordinator)
    warm(client, "/participants/")
    assert client.get("/participants/")[HEADER] == "hit"
    write(coordinator, participant)
    response = client.get("/participants/")
    assert response[HEADER] == "miss"
    assert client.get("/participants/")[HEADER] == "hit"


def test_a_bulk_update_shows_at_once(coordinator):
    participant = factories.participant(coordinator, initials="QZ")
    client = logged_in(coordinator)
    warm(client, f"/participants/{participant.screening_number}/")
    Participant.objects.filter(pk=participant.pk).update(initials="XY")  # no signal, no history row
    assert "XY" in client.get(f"/participants/{participant.screening_number}/").content.decode()


def test_pages_are_kept_per_session_and_never_shared(coordinator, data_manager):
    factories.participant(coordinator)
    alice, dana = logged_in(coordinator), logged_in(data_manager)
    warm(dana, "/participants/")
    alice_page = warm(alice, "/participants/").content.decode()
    assert alice.get("/audit-trail/").status_code == 403  # the role check runs before the cache
    assert dana.get("/audit-trail/").status_code == 200
    assert "alice" in alice_page and "dana" not in alice_page
    dana_page = dana.get("/participants/")
    assert dana_page[HEADER] == "hit" and "dana" in dana_page.content.decode()
    second_alice = logged_in(coordinator)  # another login, another session: its own entry
    assert second_alice.get("/participants/")[HEADER] == "bypass"
    assert second_alice.get("/participants/")[HEADER] == "miss"


def test_no_csrf_cookie_no_cache(coordinator):
    client = logged_in(coordinator)
    for _ in range(3):
        client.cookies.pop("csrftoken", None)
        assert client.get("/participants/")[HEADER] == "bypass"


def test_the_csrf_token_of_a_cached_page_is_accepted(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    warm(client, "/participants/")
    hit = client.get("/participants/")
    assert hit[HEADER] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', hit.content.decode()).group(1)
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302  # a stale or foreign token would be 403
    assert client.get("/participants/").status_code == 302  # logged out: to the login page


def test_a_waiting_message_is_shown_once_and_never_cached(coordinator):
    participant = factories.participant(coordinator, initials="QZ")
    url = f"/participants/{participant.screening_number}/"
    client = logged_in(coordinator)
    warm(client, url)
    response = client.post(
        f"{url}edit/",
        {
            "initials": "QY",
            "sex": "F",
            "date_of_birth": "1980-05-17",
            "consent_date": "2024-01-02",
            "consent_version": "1.0",
            "reason_for_change": "Transcription error",
            "version": participant.version,
        },
    )
    assert response.status_code == 302
    shown = client.get(url)
    assert shown[HEADER] == "bypass" and "Registration data corrected." in shown.content.decode()
    again = client.get(url)
    assert "Registration data corrected." not in again.content.decode() and "QY" in again.content.decode()
    assert again[HEADER] == "miss"


def sae(participant, user, awareness_time: datetime):
    return adverse_event_record(
        participant=participant,
        user=user,
        term="Syncope",
        onset_date=date(2024, 5, 30),
        end_date=None,
        ongoing=True,
        grade=3,
        relationship="possible",
        serious=True,
        hospitalization=True,
        expected=False,
        action_taken="dose_not_changed",
        outcome="recovering",
        awareness_time=awareness_time,
    )


def test_a_page_showing_a_due_sae_expires_when_it_falls_due(coordinator):
    participant = factories.participant(coordinator)
    awareness = NOW - timedelta(hours=23, minutes=50)  # 24 h to report: due in ten minutes
    sae(participant, coordinator, awareness)
    url = f"/participants/{participant.screening_number}/"
    client = logged_in(coordinator)
    assert ">Due<" in warm(client, url).content.decode()
    due_at = awareness + timedelta(hours=24)
    with time_machine.travel(due_at, tick=False):  # reporting exactly at due time is still on time
        response = client.get(url)
        assert response[HEADER] == "hit" and ">Due<" in response.content.decode()
    with time_machine.travel(due_at + timedelta(seconds=1), tick=False):
        response = client.get(url)
        assert response[HEADER] == "miss" and ">Overdue<" in response.content.decode()


def test_the_dashboard_is_kept_until_its_generation_minute_turns(coordinator, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    assert "2024-06-01 10:00" in warm(client, "/safety/dashboard/").content.decode()
    with time_machine.travel(NOW.replace(second=59), tick=False):
        assert client.get("/safety/dashboard/")[HEADER] == "hit"
    with time_machine.travel(NOW.replace(minute=1, second=0), tick=False):
        response = client.get("/safety/dashboard/")
        assert response[HEADER] == "miss" and "2024-06-01 10:01" in response.content.decode()


def test_pages_expire_at_the_site_midnight(coordinator):
    factories.participant(coordinator)
    with time_machine.travel(datetime(2024, 6, 1, 23, 59, 59, tzinfo=TZ), tick=False):
        client = logged_in(coordinator)
        warm(client, "/participants/")
        assert client.get("/participants/")[HEADER] == "hit"
    with time_machine.travel(datetime(2024, 6, 2, 0, 0, 0, tzinfo=TZ), tick=False):
        assert client.get("/participants/")[HEADER] == "miss"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 15:30 UTC is 23:30 in Shanghai (UTC+8): its midnight, 16:00 UTC, comes before UTC's.
        (datetime(2026, 12, 2, 15, 30, tzinfo=UTC), datetime(2026, 12, 2, 16, 0, tzinfo=UTC)),
        # At Shanghai's midnight exactly, the next one is a day away; UTC's midnight, 8 h later, is first.
        (datetime(2026, 12, 2, 16, 0, tzinfo=UTC), datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
        # 23:59:59.999999 UTC: UTC's midnight a microsecond later.
        (datetime(2026, 12, 2, 23, 59, 59, 999999, tzinfo=UTC), datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_midnight_hand_computed(now, expected):
    assert next_midnight(now, {"Asia/Shanghai", "UTC"}) == expected


def committed_counter(scope: int = dataversion.STUDY) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT counter FROM trialsite_dataversion WHERE id = %s", [scope])
        row = cursor.fetchone()
    return row[0] if row else 0


@pytest.mark.django_db(transaction=True)
def test_the_committed_version_moves_once_per_transaction_and_not_on_rollback(require_postgres, coordinator):
    study = (dataversion.STUDY,)
    before = committed_counter()
    with transaction.atomic():
        factories.participant(coordinator, initials="AA")
        factories.participant(coordinator, initials="BB")
        assert committed_counter() == before  # moved at COMMIT, not before
        assert dataversion.current(study) != f"{before}.0"  # this transaction sees its own writes
    assert committed_counter() == before + 1
    assert dataversion.current(study) == f"{before + 1}.0"
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.participant(coordinator, initials="CC")
        raise RuntimeError("rolled back")
    assert committed_counter() == before + 1
    Participant.objects.filter(initials="AA").update(initials="AZ")  # autocommit: one transaction
    assert committed_counter() == before + 2


@pytest.mark.django_db(transaction=True)
def test_a_login_moves_the_accounts_version_only(require_postgres, coordinator):
    study, accounts = committed_counter(dataversion.STUDY), committed_counter(dataversion.ACCOUNTS)
    logged_in(coordinator)  # writes last_login
    assert committed_counter(dataversion.ACCOUNTS) == accounts + 1
    assert committed_counter(dataversion.STUDY) == study  # the dashboard's figures stay cached
    factories.participant(coordinator)
    assert committed_counter(dataversion.STUDY) == study + 1
    assert committed_counter(dataversion.ACCOUNTS) == accounts + 1


def test_every_clinical_table_carries_the_trigger():
    tables = dataversion.versioned_tables()
    assert {"subjects_participant", "subjects_visit", "safety_reminder"} <= {
        table for table, scope in tables.items() if scope == dataversion.STUDY
    }
    assert {table for table, scope in tables.items() if scope == dataversion.ACCOUNTS} == {
        "auth_user",
        "auth_user_groups",
        "auth_group",
    }
    assert not any(table.startswith(("subjects_historical", "safety_historical")) for table in tables)
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'trialsite_data_version'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trialsite_dv_%'"
            )
        assert {row[0] for row in cursor.fetchall()} == set(tables)


def test_with_another_session_store_the_key_is_read_by_its_own_query(settings, coordinator):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"  # reads no data version with the row
    client = logged_in(coordinator)
    warm(client, "/participants/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/participants/")[HEADER] == "hit"
    assert any("trialsite_dataversion" in q["sql"] and "django_session" not in q["sql"] for q in queries)
    factories.participant(coordinator)
    assert client.get("/participants/")[HEADER] == "miss"


def test_the_session_user_comes_with_their_roles_in_one_query(coordinator, django_assert_num_queries):
    from django.contrib.auth.models import Group

    from trialsite.authentication import RoleModelBackend
    from trialsite.roles import Role, user_roles

    coordinator.groups.add(Group.objects.create(name="newsletter"), Group.objects.get(name=Role.INVESTIGATOR))
    with django_assert_num_queries(1):
        user = RoleModelBackend().get_user(coordinator.pk)
        assert user_roles(user) == {Role.COORDINATOR, Role.INVESTIGATOR}  # not "newsletter": not a role
    assert user.username == "alice" and user.last_login == coordinator.last_login
    coordinator.is_active = False
    coordinator.save()
    assert RoleModelBackend().get_user(coordinator.pk) is None
    assert RoleModelBackend().get_user(coordinator.pk + 1000) is None


def test_the_signed_in_user_is_read_once_per_accounts_version(coordinator):
    client = logged_in(coordinator)
    client.get("/")

    def reads_the_user() -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return any('"auth_user"' in q["sql"] for q in queries)

    assert not reads_the_user()  # from the cache
    factories.participant(coordinator)  # study data: not the accounts' version
    assert not reads_the_user()
    type(coordinator).objects.filter(pk=coordinator.pk).update(first_name="Alice")  # an account
    assert reads_the_user()
    assert not reads_the_user()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param(lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False), 302, id="deactivated"),
        pytest.param(lambda user: user.groups.clear(), 403, id="role removed"),
        pytest.param(lambda user: (user.set_password("another secret 1!"), user.save()), 302, id="password changed"),
    ],
)
def test_a_change_to_the_user_applies_to_the_next_request(coordinator, change, status):
    client = logged_in(coordinator)
    warm(client, "/participants/")
    assert client.get("/participants/")[HEADER] == "hit"
    change(coordinator)
    response = client.get("/participants/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
