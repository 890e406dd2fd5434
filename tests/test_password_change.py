"""Self-service password change: the old password is checked through the same lockout as the login
(five wrong ones lock the account), the new one through Django's validators (an all-numeric one is
refused), and each change is recorded with user and UTC time."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
URL = "/accounts/password/"
NEW = "violet marmalade 7 horizons"


def change(client, old, new=NEW, again=None):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_who_may_change_a_password(coordinator, outsider):
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert logged_in(outsider).get(URL).status_code == 403
    page = logged_in(coordinator).get(URL)
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    assert URL in logged_in(coordinator).get("/accounts/profile/").content.decode()


def test_a_password_change_is_applied_and_recorded(coordinator):
    client = logged_in(coordinator)
    response = change(client, PASSWORD)
    assert response.status_code == 302
    assert client.get("/?overview").status_code == 200  # still signed in
    coordinator.refresh_from_db()
    assert coordinator.check_password(NEW)
    entry = LogEntry.objects.get(object_id=str(coordinator.pk))
    assert (entry.user, entry.action_flag, entry.get_change_message()) == (coordinator, CHANGE, "Password changed.")
    assert entry.action_time.utcoffset().total_seconds() == 0  # stored in UTC


def test_an_all_numeric_password_is_refused(coordinator):
    client = logged_in(coordinator)
    response = change(client, PASSWORD, new="73918264051739")
    assert response.status_code == 200 and "entirely numeric" in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.check_password(PASSWORD)


def test_five_wrong_old_passwords_lock_the_account(coordinator):
    client = logged_in(coordinator)
    for _ in range(4):
        response = change(client, "wrong password")
        assert response.status_code == 200 and "incorrect" in response.content.decode()
    locked = change(client, "wrong password")
    assert locked.status_code == 429 and "Account locked" in locked.content.decode()
    assert client.get("/").status_code == 302  # signed out
    login = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert login.status_code == 429  # the login is locked too
    assert User.objects.get(pk=coordinator.pk).check_password(PASSWORD)


def test_the_admin_sites_password_change_is_the_same_page(administrator):
    """The admin's "Change password" link would otherwise change it without the lockout or a record."""
    client = logged_in(administrator)
    assert client.get("/admin/password_change/")["Location"] == URL
    data = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    response = client.post("/admin/password_change/", data)
    assert response.status_code == 302 and response["Location"] == URL
    administrator.refresh_from_db()
    assert administrator.check_password(PASSWORD)
    assert client.get(URL).status_code == 200
