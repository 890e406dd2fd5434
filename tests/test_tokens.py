"""Personal API tokens: profile page, operator command, hashing, expiry, revocation, role."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from tests.conftest import logged_in
from trialsite.models import ApiToken

DICTIONARY = "/api/v1/data-dictionary/"
AUDIT = "/api/v1/audit-trail/"


def token_client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def create_on_profile(user, name="nightly pull", days="") -> str:
    response = logged_in(user).post("/accounts/profile/", {"name": name, "expires_in_days": days})
    assert response.status_code == 200
    return response.context["new_key"]


def test_profile_creates_a_token_shown_once_and_stored_hashed(data_manager):
    key = create_on_profile(data_manager)
    token = ApiToken.objects.get(user=data_manager)
    assert token.name == "nightly pull" and token.expiry is None
    assert token.digest == hash_token(key) and key not in (token.digest, token.token_key)
    page = logged_in(data_manager).get("/accounts/profile/")
    assert key not in page.content.decode()  # never shown again
    assert "nightly pull" in page.content.decode()


def test_token_with_expiry_in_days(data_manager):
    create_on_profile(data_manager, days="30")
    token = ApiToken.objects.get()
    assert timedelta(days=29, hours=23) < token.expiry - timezone.now() <= timedelta(days=30)


@pytest.mark.parametrize("days", ["0", "-3", "abc", "99999"])
def test_bad_expiry_is_refused_and_nothing_saved(data_manager, days):
    response = logged_in(data_manager).post("/accounts/profile/", {"name": "x", "expires_in_days": days})
    assert response.status_code == 200 and response.context["new_key"] is None
    assert response.context["form"].errors["expires_in_days"]
    assert not ApiToken.objects.exists()


def test_profile_needs_login(db):
    assert Client().get("/accounts/profile/").status_code == 302


def test_token_authenticates_with_its_users_role_and_records_last_use(data_manager):
    key = create_on_profile(data_manager)
    assert token_client(key).get(DICTIONARY).status_code == 200
    assert token_client(key).get(AUDIT).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_token_carries_exactly_its_role(dmc_reviewer):
    key = create_on_profile(dmc_reviewer)
    client = token_client(key)
    assert client.get(DICTIONARY).status_code == 200  # EXPORT_SAFETY
    assert client.get(AUDIT).status_code == 403  # not VIEW_AUDIT
    assert client.get("/api/v1/exports/sdtm/vs.csv").status_code == 403


def test_revoked_token_is_refused(data_manager):
    key = create_on_profile(data_manager)
    token = ApiToken.objects.get()
    response = logged_in(data_manager).post(f"/accounts/profile/tokens/{token.token_key}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert token_client(key).get(DICTIONARY).status_code == 401


def test_cannot_revoke_someone_elses_token(data_manager, coordinator):
    create_on_profile(data_manager)
    token = ApiToken.objects.get()
    logged_in(coordinator).post(f"/accounts/profile/tokens/{token.token_key}/revoke/")
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_revoke_needs_post(data_manager):
    create_on_profile(data_manager)
    token = ApiToken.objects.get()
    assert logged_in(data_manager).get(f"/accounts/profile/tokens/{token.token_key}/revoke/").status_code == 405
    assert ApiToken.objects.exists()


def test_expired_token_is_refused(data_manager):
    key = create_on_profile(data_manager, days="1")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert token_client(key).get(DICTIONARY).status_code == 401


def test_token_of_deactivated_user_is_refused(data_manager):
    key = create_on_profile(data_manager)
    data_manager.is_active = False
    data_manager.save()
    assert token_client(key).get(DICTIONARY).status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token abc def", "Token not-a-real-key", "Bearer whatever"])
def test_malformed_or_unknown_tokens_are_refused(db, header):
    assert Client(HTTP_AUTHORIZATION=header).get(DICTIONARY).status_code == 401


def test_command_prints_key_once(api_client_user):
    out = StringIO()
    call_command("create_api_token", "apollo", "--expires-days", "7", stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=api_client_user)
    assert token.digest == hash_token(key)
    assert timedelta(days=6) < token.expiry - timezone.now() <= timedelta(days=7)
    assert token_client(key).get(DICTIONARY).status_code == 200


@pytest.mark.parametrize("args", [["nobody"], ["apollo", "--expires-days", "0"]])
def test_command_refuses_bad_input(api_client_user, args):
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_command_refuses_inactive_user(api_client_user):
    api_client_user.is_active = False
    api_client_user.save()
    with pytest.raises(CommandError):
        call_command("create_api_token", "apollo", stdout=StringIO())


def test_authenticating_deletes_the_users_other_expired_tokens_as_knox_does(data_manager):
    _, key = ApiToken.objects.create(user=data_manager, expiry=None, name="kept")
    ApiToken.objects.create(user=data_manager, expiry=timedelta(days=1), name="expires")
    ApiToken.objects.create(user=data_manager, expiry=timedelta(days=9), name="later")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert token_client(key).get(DICTIONARY).status_code == 200
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["kept", "later"]


def test_a_token_is_refused_from_the_moment_after_its_expiry(data_manager):
    _, key = ApiToken.objects.create(user=data_manager, expiry=timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert token_client(key).get(DICTIONARY).status_code == 401
        assert token_client(key).get(DICTIONARY).status_code == 401


def test_a_token_just_before_its_expiry_is_accepted(data_manager):
    _, key = ApiToken.objects.create(user=data_manager, expiry=timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(minutes=59, seconds=59)):
        assert token_client(key).get(DICTIONARY).status_code == 200
    assert ApiToken.objects.exists()


def test_a_token_with_the_right_prefix_but_wrong_digest_is_refused(data_manager):
    _, key = ApiToken.objects.create(user=data_manager)
    forged = key[:-1] + ("0" if key[-1] != "0" else "1")  # the same token_key (the first 15 characters)
    assert forged[: CONSTANTS.TOKEN_KEY_LENGTH] == key[: CONSTANTS.TOKEN_KEY_LENGTH] != forged
    assert token_client(forged).get(DICTIONARY).status_code == 401
    assert token_client(key).get(DICTIONARY).status_code == 200


def test_a_header_that_is_not_utf8_is_refused_not_an_error(db):
    assert Client(HTTP_AUTHORIZATION="Token caf\xe9").get(DICTIONARY).status_code == 401
