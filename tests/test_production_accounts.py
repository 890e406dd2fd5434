"""Production never has demo accounts: setup_demo refuses outside DEBUG whatever TRIALSITE_DEMO says,
docker-compose does not create them, and `check --deploy` fails while any user has the demo password."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import CommandError

from trialsite.management.commands.setup_demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_setup_demo_refuses_in_production_even_with_trialsite_demo(settings):
    settings.DEBUG = False
    settings.TRIALSITE_DEMO = True
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        call_command("setup_demo")
    assert not User.objects.exists()


def test_setup_demo_still_works_in_demo_mode(settings):
    settings.DEBUG = True
    settings.TRIALSITE_DEMO = True
    call_command("setup_demo")
    assert User.objects.get(username="admin").is_superuser


def test_docker_compose_creates_no_demo_accounts():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "TRIALSITE_DEMO" not in compose
    assert "setup_demo" not in compose


def test_the_readme_explains_creating_the_first_administrator():
    readme = (ROOT / "README.md").read_text()
    assert "manage.py createsuperuser" in readme


def _deploy_errors() -> list[str]:
    return [message.id for message in run_checks(include_deployment_checks=True) if isinstance(message, Error)]


def test_deploy_check_fails_while_a_user_has_the_demo_password(coordinator):
    assert "trialsite.E003" not in _deploy_errors()
    User.objects.create_user("admin", password=DEMO_PASSWORD, is_superuser=True, is_staff=True)
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "trialsite.E003"]
    assert errors and "admin" in errors[0].msg
    User.objects.filter(username="admin").update(is_active=False)
    assert "trialsite.E003" not in _deploy_errors()
