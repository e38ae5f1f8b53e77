"""Dispatching: who has reminders to send, and claiming their ledger rows for one sender.

The services never queue tasks themselves: ``pending_recipient_batches`` says what to queue,
and the dispatch task (``tracker.tasks``) queues it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import Reminder
from tracker.services.common import batched

RECIPIENTS_PER_SEND_TASK = 50


def _claimable(now: datetime.datetime) -> Q:
    return Q(status=Reminder.Status.PENDING) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def recipients_with_pending_reminders() -> list[str]:
    rows = Reminder.objects.filter(_claimable(timezone.now()))
    return list(rows.values_list("recipient", flat=True).distinct().order_by("recipient"))


def pending_recipient_batches() -> list[list[str]]:
    """The recipients with pending reminders, in batches of one send task each."""
    return list(batched(recipients_with_pending_reminders(), RECIPIENTS_PER_SEND_TASK))


class ClaimedReminder(NamedTuple):
    """A ledger row to send, with its milestone as it stands when the digest is written."""

    id: int
    recipient: str
    slot: str
    due_date: datetime.date
    level: str
    escalated: bool
    milestone_id: int
    milestone_title: str
    milestone_due_date: datetime.date | None
    milestone_status: str
    initiative_id: int
    initiative_title: str
    lead_agency: str  # its short name


# The fields of ClaimedReminder that are not the reminder's own columns, and where they are read.
_CLAIMED_LOOKUPS = {
    "milestone_title": "milestone__title",
    "milestone_due_date": "milestone__due_date",
    "milestone_status": "milestone__status",
    "initiative_id": "milestone__initiative",
    "initiative_title": "milestone__initiative__title",
    "lead_agency": "milestone__initiative__owner_agency__short_name",
}


def claimed_reminders(ids: Iterable[int]) -> list[ClaimedReminder]:
    """The ledger rows ``ids`` as a digest reads them (plain values), in id order."""
    lookups = [_CLAIMED_LOOKUPS.get(name, name) for name in ClaimedReminder._fields]
    rows = Reminder.objects.filter(pk__in=ids).order_by("id").values_list(*lookups)
    return [ClaimedReminder._make(row) for row in rows]


def reminders_claim(
    recipients: list[str], now: datetime.datetime
) -> dict[str, list[ClaimedReminder]]:
    """Take the recipients' pending rows for one lease, in one transaction; rows another
    sender holds are skipped (SKIP LOCKED while it claims, the lease after). A lease that runs
    out (its worker died) leaves the rows to the next sender."""
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), recipient__in=recipients)
            .order_by("id")
            .values_list("id", flat=True)
        )
        lease = now + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
        Reminder.objects.filter(pk__in=ids).update(claimed_until=lease)
    claimed: dict[str, list[ClaimedReminder]] = defaultdict(list)
    for row in claimed_reminders(ids):
        claimed[row.recipient].append(row)
    return claimed
