"""What staff do by hand: send a reminder now, put failed reminders back in the outbox.

Both only change the ledger; the caller (the admin action) queues the sending afterwards with
``tracker.tasks.queue_reminder_batches``.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.db.models import QuerySet

from initiatives.dates import local_today
from initiatives.models import Milestone
from tracker.models import Reminder
from tracker.recipients import AgencyPeople, Target, recipients_for
from tracker.services.planning import reminders_add


class SentNow(NamedTuple):
    """What "send reminder now" did: reminders queued, and why nobody gets one, if so."""

    queued: int
    unreached: str


def reminder_send_now(*, milestone: Milestone, today: datetime.date | None = None) -> SentNow:
    """Put one reminder about ``milestone`` to each of its recipients in the ledger, to send now.

    At most one a day per recipient: the slot is the day, so pressing twice sends once. When
    the recipient rule finds nobody, the ledger keeps an ``unreached`` row saying why.
    """
    today = today or local_today()
    if milestone.status not in Milestone.OPEN_STATUSES:
        return SentNow(0, "")
    due = milestone.due_date
    level = (
        Reminder.Level.NOTICE
        if due is None or due > today
        else Reminder.Level.WARNING
        if due == today
        else Reminder.Level.OVERDUE
    )
    people = AgencyPeople.load([milestone.initiative.owner_agency_id])
    recipients = recipients_for(
        Target.of(milestone), escalated=False, people=people, supervisors={}
    )
    common: dict[str, Any] = {
        "milestone": milestone,
        "slot": f"manual-{today:%Y%m%d}",
        "due_date": due or today,
        "level": level,
        "planned_on": today,
    }
    rows = [
        Reminder(**common, recipient=email, recipient_user_id=user_id)
        for email, user_id in recipients.addresses
    ]
    if recipients.unreached:
        rows.append(
            Reminder(
                **common,
                recipient="",
                status=Reminder.Status.UNREACHED,
                last_error=recipients.unreached,
            )
        )
    return SentNow(reminders_add(reminders=rows, today=today), recipients.unreached)


def reminders_retry_failed(*, reminders: QuerySet[Reminder]) -> int:
    """Put failed rows back in the outbox, with a fresh count of attempts."""
    count: int = reminders.filter(status=Reminder.Status.FAILED).update(
        status=Reminder.Status.PENDING, attempts=0, claimed_until=None
    )
    return count
