"""Enqueueing Celery tasks after the surrounding transaction commits.

A task sees committed rows only, and a rolled-back write never sends anything. If the broker
is down the web request still succeeds: the failure is logged and the periodic sweeps pick up
the unsent rows (every effect is an outbox row, never only a message).
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args) -> None:
    transaction.on_commit(lambda: enqueue_now(task_name, *args))


def enqueue_now(task_name: str, *args) -> bool:
    from trialsite.celery import app

    try:
        app.send_task(task_name, args=list(args))
        return True
    except Exception:  # the broker being down must never reach the user
        logger.exception("could not enqueue %s%r; the next sweep will catch up", task_name, args)
        return False
