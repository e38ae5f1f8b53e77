"""Sending: one digest per recipient over one SMTP connection, each row marked as it goes."""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from initiatives.dates import local_today
from initiatives.models import Milestone
from tracker.models import Reminder
from tracker.services.common import MAX_ERROR_LENGTH
from tracker.services.digests import digest_message
from tracker.services.dispatch import ClaimedReminder, reminders_claim

logger = logging.getLogger(__name__)


@dataclass
class SendOutcome:
    sent: list[str] = field(default_factory=list)  # recipients whose digest went out
    failed: list[str] = field(default_factory=list)  # recipients to try again
    skipped: int = 0  # rows whose milestone was done, cancelled or moved by then


def _still_due(row: ClaimedReminder) -> bool:
    manual = row.slot.startswith("manual-")
    return row.milestone_status in Milestone.OPEN_STATUSES and (
        manual or row.milestone_due_date == row.due_date
    )


def reminders_send_batch(
    recipients: list[str], *, today: datetime.date | None = None
) -> SendOutcome:
    """Send each recipient one digest of their pending reminders, over one SMTP connection."""
    today = today or local_today()
    outcome = SendOutcome()
    claimed = reminders_claim(recipients, timezone.now())
    stale = [row.id for rows in claimed.values() for row in rows if not _still_due(row)]
    if stale:
        Reminder.objects.filter(pk__in=stale).update(
            status=Reminder.Status.SKIPPED, claimed_until=None
        )
        outcome.skipped = len(stale)
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        for recipient, rows in claimed.items():
            live = [row for row in rows if _still_due(row)]
            if not live:
                continue
            message = digest_message(recipient, live, today)
            ids = [row.id for row in live]
            try:
                # Opened here, not by send_messages, which closes a connection it opened itself
                # after each call; open() does nothing while the connection is open.
                connection.open()
                connection.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                _record_failure(ids, error)
                outcome.failed.append(recipient)
                connection.close()  # the next message opens a fresh connection
                continue
            # Marked right after its own message: a crash from here on is the one window in
            # which a digest can go out twice.
            _mark_sent(ids, message.extra_headers["Message-ID"])
            outcome.sent.append(recipient)
    finally:
        connection.close()
    return outcome


def _mark_sent(ids: list[int], message_id: str) -> None:
    Reminder.objects.filter(pk__in=ids).update(
        status=Reminder.Status.SENT,
        sent_at=timezone.now(),
        message_id=message_id,
        attempts=F("attempts") + 1,
        claimed_until=None,
        last_error="",
    )


def _record_failure(ids: list[int], error: Exception) -> None:
    logger.warning("Sending reminders %s failed: %s", ids, error)
    Reminder.objects.filter(pk__in=ids).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH],
        claimed_until=None,
    )
    Reminder.objects.filter(pk__in=ids, attempts__gte=settings.REMINDER_MAX_ATTEMPTS).update(
        status=Reminder.Status.FAILED
    )
