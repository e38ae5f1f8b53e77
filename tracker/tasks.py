"""Celery tasks of the reminder system: thin, named, time-limited; the work is in services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from tracker import services

# Backoff stays far below the Redis broker's visibility timeout (1 hour), past which a task
# held back by a countdown would be delivered a second time.
MAX_BACKOFF_SECONDS = 600


@shared_task(name="tracker.sweep_reminders", soft_time_limit=600, time_limit=660)
def sweep_reminders() -> dict[str, int]:
    planned, recipients = services.reminders_sweep()
    return {"planned": planned, "recipients": recipients}


@shared_task(name="tracker.dispatch_reminders", soft_time_limit=120, time_limit=150)
def dispatch_reminders() -> int:
    return services.reminders_dispatch()


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
