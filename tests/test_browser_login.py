"""A real Chromium logs in and out as each role and sees the navigation its role allows."""

import pytest

from tests.conftest import PASSWORD, browser_login, make_user
from trialsite.roles import ROLE_LABELS, Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("role", list(Role))
def test_login_and_logout_per_role(page, role):
    make_user(f"user_{role.value}", role)
    browser_login(page, f"user_{role.value}")
    work_list = {Role.COORDINATOR: "/desk/status/", Role.INVESTIGATOR: "/desk/todo/"}.get(role)
    if work_list:  # coordinators and investigators land on their work list; the overview is one link away
        assert page.url.endswith(work_list)
        page.goto("/?overview")
    assert page.get_by_role("heading", name=f"Welcome, user_{role.value}").is_visible()
    assert page.locator(".role").inner_text() == ROLE_LABELS[role]
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Admin").count() == (1 if role == Role.ADMIN else 0)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_wrong_password_shows_an_error_and_stays_on_login(page):
    make_user("alice", Role.COORDINATOR)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
