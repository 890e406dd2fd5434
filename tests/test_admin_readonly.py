"""Admin: clinical records and their history are read-only; users and groups are for administrators."""

from django.core.management import call_command

from subjects.models import Study
from tests.conftest import logged_in
from tests.export_data import build_study_data


def test_history_and_clinical_records_are_read_only(coordinator, administrator):
    data = build_study_data(coordinator)
    client = logged_in(administrator)
    ae = data["headache"]
    history_id = ae.history.first().history_id
    assert client.get("/admin/safety/historicaladverseevent/").status_code == 200
    change_url = f"/admin/safety/historicaladverseevent/{history_id}/change/"
    assert client.get(change_url).status_code == 200  # view only
    assert client.post(change_url, {"term": "Edited"}).status_code == 403
    assert client.post(f"/admin/safety/historicaladverseevent/{history_id}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/safety/historicaladverseevent/add/").status_code == 403
    assert client.post(f"/admin/safety/adverseevent/{ae.pk}/change/", {"term": "Edited"}).status_code == 403
    ae.refresh_from_db()
    assert ae.term == "Headache" and ae.history.count() == 1


def test_study_configuration_is_read_only_in_admin(administrator):
    study = Study.current()
    client = logged_in(administrator)
    assert client.get(f"/admin/subjects/study/{study.pk}/change/").status_code == 200
    assert client.post(f"/admin/subjects/study/{study.pk}/change/", {"enrollment_target": 9}).status_code == 403
    study.refresh_from_db()
    assert study.enrollment_target == 5


def test_users_are_managed_by_administrators_only(administrator, data_manager):
    data_manager.is_staff = True  # even a staff flag does not open user management
    data_manager.save()
    assert logged_in(data_manager).get("/admin/auth/user/").status_code == 403
    assert logged_in(administrator).get("/admin/auth/user/").status_code == 200
    assert logged_in(administrator).get("/admin/auth/user/add/").status_code == 200


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_a_user_with_audit_history_is_deactivated_never_deleted(administrator, coordinator):
    from django.contrib.auth.models import User
    from django.test import Client

    from tests import factories

    factories.participant(coordinator)  # coordinator now has audit history
    client = Client(raise_request_exception=False)
    client.force_login(administrator)
    change = client.get(f"/admin/auth/user/{coordinator.pk}/change/").content.decode()
    assert "cannot be deleted, only deactivated" in change
    assert f"/admin/auth/user/{coordinator.pk}/delete/" not in change
    assert client.get(f"/admin/auth/user/{coordinator.pk}/delete/").status_code == 403
    assert client.post(f"/admin/auth/user/{coordinator.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [coordinator.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert User.objects.filter(pk=coordinator.pk).exists()
    # a user without history (a mistyped account) can still be deleted
    typo = User.objects.create_user("typo", password="x")
    assert client.post(f"/admin/auth/user/{typo.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=typo.pk).exists()
