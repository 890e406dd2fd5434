"""Read-only queries side by side (trialsite.parallel): on threads and connections of their own only
outside a transaction, with the caller's results, time zone, errors and query count."""

import threading
import time

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safety import dashboard
from subjects.models import Participant
from tests import factories
from tests.conftest import logged_in
from tests.test_dmc_dashboard import NOW, trial, without_csrf  # noqa: F401 (trial: a fixture)
from trialsite import parallel


def where() -> dict:
    """Where a task ran: its thread, its database session and the time zone it ran in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1")
        session = cursor.fetchone()[0]
    return {
        "thread": threading.current_thread().name,
        "session": session,
        "zone": timezone.get_current_timezone_name(),
    }


@pytest.fixture
def tasks_run(monkeypatch) -> list:
    """The tasks handed to the worker threads."""
    handed = []
    run = parallel._run

    def counted(task, *args):
        handed.append(task)
        return run(task, *args)

    monkeypatch.setattr(parallel, "_run", counted)
    return handed


@pytest.mark.django_db
def test_in_a_transaction_the_tasks_run_in_it_one_after_another(coordinator, tasks_run):
    factories.participant(coordinator)  # not committed: only this transaction's connection sees it
    first, second, third = parallel.side_by_side(Participant.objects.count, where, where)
    assert first == 1
    assert second == third == where()  # the caller's thread and session
    assert tasks_run == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_task_has_its_own_thread_and_session(require_postgres, coordinator, tasks_run):
    factories.participant(coordinator)  # committed
    with timezone.override("Europe/Paris"):
        count, *places = parallel.side_by_side(Participant.objects.count, where, where, where)
        caller = where()
    assert count == 1
    assert len(tasks_run) == 3  # the first ran on the caller's thread
    assert len({place["session"] for place in places} | {caller["session"]}) == 4
    assert all(place["thread"].startswith("side-by-side") for place in places)
    assert {place["zone"] for place in places} == {"Europe/Paris"}
    assert parallel.side_by_side(lambda: 1, lambda: 2, lambda: 3) == [1, 2, 3]  # in order


@pytest.mark.django_db(transaction=True)
def test_a_task_s_own_tasks_run_in_it(require_postgres, tasks_run):
    """No worker waits for another (all three busy with tasks that hand on tasks: no deadlock)."""
    (mine, handed), *theirs = parallel.side_by_side(*[lambda: parallel.side_by_side(where, where)] * 4)
    assert mine["thread"] == threading.current_thread().name and handed["thread"].startswith("side-by-side")
    assert [first["thread"] == second["thread"] for first, second in theirs] == [True] * 3
    assert len(tasks_run) == 4  # three outer tasks and the caller's own inner one


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_raised_once_every_task_has_finished(require_postgres):
    finished = threading.Event()

    def slow():
        time.sleep(0.2)
        finished.set()

    def failing():
        raise ValueError("no such figure")

    with pytest.raises(ValueError, match="no such figure"):
        parallel.side_by_side(lambda: None, failing, slow)
    assert finished.is_set()
    assert parallel.side_by_side(Participant.objects.count, Participant.objects.count) == [0, 0]  # still usable


@pytest.mark.django_db(transaction=True)
def test_the_tasks_queries_are_counted_as_the_callers(require_postgres, tasks_run, django_assert_num_queries):
    with django_assert_num_queries(3):
        parallel.side_by_side(Participant.objects.count, Participant.objects.exists, Participant.objects.first)
    assert len(tasks_run) == 2
    with CaptureQueriesContext(connection) as captured:
        parallel.side_by_side(
            Participant.objects.count,
            lambda: Participant.objects.filter(initials="ZZ").exists(),
            Participant.objects.first,
        )
    assert ["COUNT(*)" in captured[0]["sql"], "'ZZ'" in captured[1]["sql"], "LIMIT 1" in captured[2]["sql"]] == [
        True
    ] * 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("trial")
def test_the_dashboard_side_by_side_equals_one_after_another(require_postgres, tasks_run, monkeypatch):
    study, _ = dashboard.study_with_data_version()
    with time_machine.travel(NOW, tick=False):
        together = dashboard.dashboard_data(study, None)
        assert len(tasks_run) == 3  # three of the four groups of figures ran on worker threads
        monkeypatch.setattr(parallel, "_usable", lambda caller: False)
        apart = dashboard.dashboard_data(study, None)
    assert len(tasks_run) == 3
    assert together == apart
    assert together["enrollment"]["enrolled"] == 3 and together["incidence"]["events"] == 4  # the safety population


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("trial")
def test_the_dashboard_page_counts_the_same_queries_either_way(require_postgres, dmc_reviewer, tasks_run, monkeypatch):
    client = logged_in(dmc_reviewer)
    client.get("/")
    pages, counts = [], []
    for usable in (parallel._usable, lambda caller: False):
        monkeypatch.setattr(parallel, "_usable", usable)
        cache.clear()
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            response = client.get("/safety/dashboard/")
        assert response.status_code == 200
        pages.append(without_csrf(response.content.decode()))
        counts.append(len(captured))
    assert len(tasks_run) == 3  # the page rendered without a transaction, side by side, the first time
    assert counts[0] == counts[1] <= 15
    assert pages[0] == pages[1]
