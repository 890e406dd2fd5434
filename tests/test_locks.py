"""Locks: a locked record, visit, casebook or database refuses every write, whatever the path."""

from datetime import date

import pytest
from celery import shared_task
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from datamanagement import services
from datamanagement.models import Lock, LockScope
from subjects.models import Participant
from trialsite.audit import RecordLocked, audited_save

from .conftest import logged_in
from .factories import enrolled_participant, pasi_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(coordinator, study):
    return enrolled_participant(coordinator, day1=date(2024, 1, 10))


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def lock_participant(participant, user):
    return services.lock_create(user=user, scope=LockScope.PARTICIPANT, participant=participant, reason="Final")


def rename(participant, user, initials="ZZ"):
    participant = Participant.objects.get(pk=participant.pk)
    participant.initials = initials
    return audited_save(participant, user=user, reason="typo", validate=False)


def test_every_scope_refuses_the_service_write(participant, coordinator, data_manager):
    pasi = pasi_assessment(participant, "W0", "12.0", coordinator)
    w0 = participant.visits.get(visit_code="W0")
    locks = [
        services.lock_create(
            user=data_manager, scope=LockScope.RECORD, record_type="pasi_assessment", record_id=pasi.pk
        ),
        services.lock_create(user=data_manager, scope=LockScope.VISIT, visit=w0),
        lock_participant(participant, data_manager),
        services.lock_create(user=data_manager, scope=LockScope.DATABASE),
    ]
    for lock in locks:
        Lock.objects.exclude(pk=lock.pk).update(active=False)
        Lock.objects.filter(pk=lock.pk).update(active=True)
        pasi.refresh_from_db()
        pasi.trunk_erythema = 4
        with pytest.raises(RecordLocked) as refused:
            audited_save(pasi, user=coordinator, reason="try", validate=False)
        assert refused.value.owner == "dana"
        assert "dana" in refused.value.messages[0]
    # another participant is free unless the database is locked
    Lock.objects.update(active=False)
    other = enrolled_participant(coordinator, initials="CD", day1=date(2024, 1, 10))
    lock_participant(participant, data_manager)
    rename(other, coordinator)


def test_unlock_needs_a_reason_and_is_audited(participant, coordinator, data_manager):
    lock = lock_participant(participant, data_manager)
    with pytest.raises(ValidationError):
        services.lock_release(lock=lock, user=data_manager, reason=" ")
    services.lock_release(lock=lock, user=data_manager, reason="Late lab result to enter")
    rename(participant, coordinator)
    reasons = [row.history_change_reason for row in lock.history.order_by("history_id")]
    assert reasons == ["Final", "Late lab result to enter"]


def test_locking_a_participant_with_open_queries_needs_an_override_and_reason(participant, data_manager):
    services.query_raise(user=data_manager, record_type="participant", record_id=participant.pk, text="Initials?")
    with pytest.raises(ValidationError):
        lock_participant(participant, data_manager)
    with pytest.raises(ValidationError):
        services.lock_create(
            user=data_manager, scope=LockScope.PARTICIPANT, participant=participant, override_open_queries=True
        )
    services.lock_create(
        user=data_manager,
        scope=LockScope.PARTICIPANT,
        participant=participant,
        override_open_queries=True,
        reason="Query is about a non-critical field; DM approval",
    )


def test_browser_form_shows_the_lock(participant, coordinator, data_manager):
    lock_participant(participant, data_manager)
    url = f"/participants/{participant.screening_number}/edit/"
    data = {
        "initials": "ZZ",
        "sex": participant.sex,
        "date_of_birth": participant.date_of_birth.isoformat(),
        "race": participant.race,
        "ethnicity": participant.ethnicity,
        "consent_date": participant.consent_date.isoformat(),
        "consent_version": participant.consent_version,
        "version": participant.version,
        "reason_for_change": "typo",
    }
    response = logged_in(coordinator).post(url, data)
    assert response.status_code == 200
    assert "locked by dana" in response.content.decode()
    assert Participant.objects.get(pk=participant.pk).initials != "ZZ"


def test_api_write_is_423_naming_the_lock(participant, coordinator, data_manager):
    lock_participant(participant, data_manager)
    url = f"/api/v1/participants/{participant.screening_number}/"
    client = api(coordinator)
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, {"initials": "ZZ", "reason_for_change": "typo"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 423
    assert "dana" in response.json()["detail"]
    assert Participant.objects.get(pk=participant.pk).initials != "ZZ"


def test_admin_cannot_change_a_locked_record(participant, administrator, data_manager):
    lock_participant(participant, data_manager)
    client = logged_in(administrator)
    response = client.post(f"/admin/subjects/participant/{participant.pk}/change/", {"initials": "ZZ"})
    assert response.status_code in (302, 403)
    assert Participant.objects.get(pk=participant.pk).initials != "ZZ"


@shared_task
def rename_participant(participant_id: int, user_id: int) -> None:
    from django.contrib.auth.models import User

    rename(Participant.objects.get(pk=participant_id), User.objects.get(pk=user_id))


def test_a_celery_task_is_refused(participant, coordinator, data_manager):
    services.lock_create(user=data_manager, scope=LockScope.DATABASE, reason="Database lock for week-12 analysis")
    result = rename_participant.apply(args=(participant.pk, coordinator.pk))
    assert result.failed() and "locked by dana" in str(result.result)
    assert Participant.objects.get(pk=participant.pk).initials != "ZZ"


def test_lock_api_ladder_and_unlock(participant, coordinator, data_manager, monitor, client):
    sn = participant.screening_number
    url = f"/api/v1/participants/{sn}/lock/"
    assert client.post(url, {}, content_type="application/json").status_code in (401, 403)
    for user in (coordinator, monitor):
        assert api(user).post(url, {}, format="json").status_code == 403
    response = api(data_manager).post(url, {"reason": "Casebook complete"}, format="json")
    assert response.status_code == 201 and response.json()["locked_by"] == "dana"
    assert api(data_manager).post(url, {}, format="json").status_code == 400  # already locked
    unlock = f"/api/v1/participants/{sn}/unlock/"
    assert api(data_manager).post(unlock, {}, format="json").status_code == 400  # a reason is needed
    assert api(data_manager).post(unlock, {"reason": "Reopened for AE follow-up"}, format="json").status_code == 200
    visit = f"/api/v1/participants/{sn}/visits/W0/lock/"
    assert api(data_manager).post(visit, {}, format="json").status_code == 201
    visit_unlock = f"/api/v1/participants/{sn}/visits/W0/unlock/"
    assert api(data_manager).post(visit_unlock, {"reason": "Late vitals"}, format="json").status_code == 200
    assert api(data_manager).post(visit_unlock, {"reason": "again"}, format="json").status_code == 404
    assert api(data_manager).post("/api/v1/study/lock/", {"reason": "DB lock"}, format="json").status_code == 201
    assert api(data_manager).post("/api/v1/study/unlock/", {"reason": "x"}, format="json").status_code == 200


def test_visit_status_refresh_skips_locked_visits(participant, coordinator, data_manager):
    """The status cache is written with a bulk UPDATE (no audited save): locks still freeze it."""
    from subjects.models import Visit
    from subjects.visits import visit_refresh_statuses

    early = date(2024, 1, 11)  # every visit after W0 is still scheduled then (created as missed: today)
    w2, w4, w8 = (participant.visits.get(visit_code=code) for code in ("W2", "W4", "W8"))
    record = services.lock_create(user=data_manager, scope=LockScope.RECORD, record_type="visit", record_id=w2.pk)
    visit = services.lock_create(user=data_manager, scope=LockScope.VISIT, visit=w4)
    before = {v.pk: v.status for v in participant.visits.all()}
    assert visit_refresh_statuses(participant.visits.filter(pk__in=[w2.pk, w4.pk]), early) == 0
    assert visit_refresh_statuses(participant.visits.filter(pk=w8.pk), early) == 1  # not locked
    assert {v.pk: v.status for v in Visit.objects.filter(pk__in=[w2.pk, w4.pk])} == {
        w2.pk: before[w2.pk],
        w4.pk: before[w4.pk],
    }
    for scope_lock in (record, visit):
        services.lock_release(lock=scope_lock, user=data_manager, reason="Reopened")
    lock_participant(participant, data_manager)
    assert visit_refresh_statuses(participant.visits.all(), early) == 0
    Lock.objects.update(active=False)
    database = services.lock_create(user=data_manager, scope=LockScope.DATABASE)
    assert visit_refresh_statuses(participant.visits.all(), early) == 0
    services.lock_release(lock=database, user=data_manager, reason="Reopened")
    assert visit_refresh_statuses(participant.visits.all(), early) > 0
    assert set(Visit.objects.filter(pk__in=[w2.pk, w4.pk]).values_list("status", flat=True)) == {"scheduled"}
