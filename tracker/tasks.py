"""Celery tasks of the reminder system: thin, named, time-limited; the work is in services.

The services never queue tasks: the tasks here (and the admin's actions, through
``queue_reminder_batches``) queue the sending.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from tracker import services

logger = logging.getLogger(__name__)

# Backoff stays far below the Redis broker's visibility timeout (1 hour), past which a task
# held back by a countdown would be delivered a second time.
MAX_BACKOFF_SECONDS = 600


def queue_reminder_batches() -> int:
    """Queue a send task per batch of recipients with pending reminders, once committed.

    Returns the number of recipients queued. A broker error is logged, not raised: the rows
    stay pending and the next dispatch (every few minutes) queues them again.
    """
    batches = services.pending_recipient_batches()

    def enqueue() -> None:
        try:
            for recipients in batches:
                send_reminder_batch.delay(recipients)
        except BrokerError:
            logger.exception("Broker unreachable; reminders stay pending until the next dispatch")

    transaction.on_commit(enqueue)
    return sum(len(recipients) for recipients in batches)


@shared_task(name="tracker.sweep_reminders", soft_time_limit=600, time_limit=660)
def sweep_reminders() -> dict[str, int]:
    planned = services.reminders_sweep()
    return {"planned": planned, "recipients": queue_reminder_batches()}


@shared_task(name="tracker.dispatch_reminders", soft_time_limit=120, time_limit=150)
def dispatch_reminders() -> int:
    return queue_reminder_batches()


@shared_task(
    bind=True,
    name="tracker.send_reminder_batch",
    acks_late=True,
    max_retries=None,
    soft_time_limit=300,
    time_limit=330,
)
def send_reminder_batch(self: Any, recipients: list[str]) -> dict[str, Any]:
    outcome = services.reminders_send_batch(recipients)
    if outcome.failed and self.request.retries + 1 < settings.REMINDER_MAX_ATTEMPTS:
        countdown = min(MAX_BACKOFF_SECONDS, 10 * 2**self.request.retries)
        raise self.retry(args=[outcome.failed], countdown=countdown)
    return {"sent": len(outcome.sent), "failed": len(outcome.failed), "skipped": outcome.skipped}
