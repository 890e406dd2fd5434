"""Figures computed from study data, kept for a short time in Django's cache (the DMC dashboard's
aggregates), and how the services that write study data make them stale.

Each service that writes data such figures read calls `study_data_changed()` inside its
transaction. Once the transaction commits, the cache gets a new generation (a random token), and
figures are kept under the generation read before they were computed: figures computed from data
older than a commit are never served after that commit, even when their computation ends after it.
The TTL bounds how long a write that goes around the services (a shell, a bulk script) stays
unseen. If the cache cannot be reached, figures are computed afresh and writes succeed as usual.
"""

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)

GENERATION_KEY = "trialsite:figures:generation"
T = TypeVar("T")


def study_data_changed() -> None:
    """Cached figures are stale from the commit of the current transaction on."""
    transaction.on_commit(new_generation, robust=True)  # robust: a committed write is never reported as failed


def new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def cached(name: str, compute: Callable[[], T], *, timeout: int) -> T:
    """compute()'s result, reused for `timeout` seconds unless study data changes meanwhile."""
    try:
        generation = cache.get_or_set(GENERATION_KEY, lambda: uuid.uuid4().hex, timeout=None)
        # per language too: the figures carry labels (grades, SOCs, visit names) in the reader's language
        key = f"trialsite:figures:{name}:{translation.get_language()}:{generation}"
        figures = cache.get(key)
    except Exception:  # the cache being down must never reach the user
        logger.exception("cache unavailable: %s computed afresh", name)
        return compute()
    if figures is None:
        figures = compute()
        try:
            cache.set(key, figures, timeout=timeout)
        except Exception:
            logger.exception("cache unavailable: %s not kept", name)
    return figures
