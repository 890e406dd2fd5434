"""Content-Security-Policy on every page: scripts from this site only, no inline script or event
handler anywhere (the DMC dashboard's charts run from a static file; the API docs load theirs too)."""

import re
from datetime import date

import pytest

from tests import factories
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize(
    "persona,url",
    [
        (None, "/accounts/login/"),
        ("coordinator", "/?overview"),
        ("coordinator", "/desk/status/"),
        ("investigator", "/desk/todo/"),
        ("coordinator", "/dosing/SCR-001/W0/infusion/"),
        ("coordinator", "/participants/"),
        ("coordinator", "/participants/SCR-001/"),
        ("coordinator", "/participants/SCR-001/screening/"),
        ("coordinator", "/assessments/SCR-001/W0/pasi/"),
        ("dmc_reviewer", "/safety/dashboard/"),
        ("dmc_reviewer", "/safety/dashboard/listing/adverse-events/"),
        ("data_manager", "/audit-trail/"),
        ("data_manager", "/api/docs/"),
        ("administrator", "/admin/"),
        ("coordinator", "/accounts/profile/"),
    ],
)
def test_pages_have_a_csp_and_no_inline_scripts(personas, persona, url):
    factories.enrolled_participant(personas["coordinator"], day1=date(2024, 1, 10))
    client = logged_in(personas[persona]) if persona else logged_in(personas["outsider"]).__class__()
    response = client.get(url)
    assert response.status_code == 200, url
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'self'"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
    assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))


def test_the_api_docs_script_is_served_from_the_site(data_manager):
    client = logged_in(data_manager)
    html = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)
    assert script, html
    response = client.get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and "SwaggerUIBundle" in response.content.decode()


def test_no_template_has_an_inline_script_or_event_handler():
    """Every template, not only the pages above: the policy allows scripts from this site only, so an
    inline one (or an onclick=…, a javascript: link) would silently not run."""
    from pathlib import Path

    from django.conf import settings

    templates = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
    assert len(templates) > 50
    for template in templates:
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, re.compile(r"javascript:", re.I)):
            assert not pattern.search(text), (str(template), pattern.search(text).group(0))
