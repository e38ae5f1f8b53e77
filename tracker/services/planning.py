"""Planning: which reminders are due today, to whom, and their rows in the ledger.

``reminders_plan`` (the sweep) adds the ledger rows due today; it is idempotent, and queues
nothing: the sweep task queues the sending (``tracker.tasks``).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from initiatives.dates import local_today
from initiatives.models import Milestone
from tracker import policy
from tracker.models import Reminder, ReminderSweep
from tracker.recipients import (
    TARGET_COLUMNS,
    AgencyPeople,
    Target,
    recipients_for,
    supervising_contacts,
)
from tracker.services.common import MAX_ERROR_LENGTH, batched

logger = logging.getLogger(__name__)

PLAN_BATCH = 2000
# Slots whose day passed within this many days are planned again if still missing (a sweep was
# missed, a milestone was added late); the ledger's unique key ignores the ones already there.
# Two overdue intervals and a holiday break cover the latest slot of every due date.
CATCH_UP_DAYS = 2 * 7 + policy.HOLIDAY_MARGIN_DAYS
# Due dates this recent are looked at day by day; older ones only where an open milestone is
# due, so that one ancient due date costs a sweep one date, not one for every day since.
DAY_BY_DAY_DAYS = 2 * 365


def due_dates_to_consider(today: datetime.date) -> Iterator[datetime.date]:
    """Every due date that may have a reminder due on ``today``: each day from the oldest open
    due date (at most DAY_BY_DAY_DAYS back) to the last with a slot, and before that the due
    dates of open milestones."""
    oldest = Milestone.objects.open().aggregate(oldest=Min("due_date"))["oldest"]
    if oldest is None:
        return
    day_by_day_from = today - datetime.timedelta(days=DAY_BY_DAY_DAYS)
    if oldest < day_by_day_from:
        old_dates = (
            Milestone.objects.open()
            .filter(due_date__lt=day_by_day_from)
            .order_by("due_date")
            .values_list("due_date", flat=True)
            .distinct()
        )
        yield from (day for day in old_dates if day is not None)
    day, last = max(oldest, day_by_day_from), policy.latest_due_date_with_a_slot(today)
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def slots_due(
    today: datetime.date, since: datetime.date | None = None
) -> dict[datetime.date, policy.Slot]:
    """For each due date with a reminder due today, that reminder's slot.

    With ``since``, only slots whose day came after it (the last sweep's day): the others were
    planned then. Without, every slot of the catch-up window.
    """
    if not policy.is_working_day(today):
        return {}
    window_start = today - datetime.timedelta(days=CATCH_UP_DAYS)
    if since is not None:
        window_start = max(window_start, since + datetime.timedelta(days=1))
    found = {}
    for day in due_dates_to_consider(today):
        slot = policy.most_urgent_slot(day, today)
        if slot is not None and slot.send_on >= window_start:
            found[day] = slot
    return found


def milestones_to_remind(today: datetime.date) -> tuple[QuerySet[Milestone], dict[Any, Any]]:
    """Open milestones with a reminder to plan today, and the slot of each due date.

    After a daily sweep, only slots that came due since then are new, so the query reads the
    milestones due on those dates (plus the ones changed since: added late, moved, reassigned),
    not every overdue milestone stored.
    """
    last = (
        ReminderSweep.objects.filter(finished_at__isnull=False, planned_on__lt=today)
        .order_by("-planned_on", "-started_at")
        .first()
    )
    all_slots = slots_due(today)
    fresh = (
        {day: slot for day, slot in all_slots.items() if slot.send_on > last.planned_on}
        if last
        else all_slots
    )
    # The recent dates by name (a bounded list); the old ones, few, by range: the planner
    # drops due dates without a slot.
    day_by_day_from = today - datetime.timedelta(days=DAY_BY_DAY_DAYS)
    wanted = Q(due_date__in=[day for day in fresh if day >= day_by_day_from])
    if any(day < day_by_day_from for day in fresh):
        wanted |= Q(due_date__lt=day_by_day_from)
    if last is not None and all_slots:
        # Changed since: read by the index on updated_at; due dates without a slot are
        # dropped by the planner.
        wanted |= Q(updated_at__gte=last.started_at, due_date__lte=max(all_slots))
    milestones = Milestone.objects.open().filter(wanted) if all_slots else Milestone.objects.none()
    return milestones, all_slots


@dataclass(frozen=True)
class PlannedReminder:
    """A ledger row the sweep wants (plain values: the sweep plans tens of thousands)."""

    milestone_id: int
    milestone_title: str
    recipient: str
    recipient_user_id: int | None
    slot: str
    due_date: datetime.date
    level: str
    escalated: bool
    # Why nobody gets it (then the recipient is empty), as the recipient rule says; else empty.
    unreached: str = ""


def planned_reminders(today: datetime.date) -> Iterator[list[PlannedReminder]]:
    """The ledger rows due today, in batches (some may be in the ledger already)."""
    candidates, slots = milestones_to_remind(today)
    targets = (
        Target._make(row)
        for row in candidates.order_by("id")
        .values_list(*TARGET_COLUMNS)
        .iterator(chunk_size=PLAN_BATCH)
    )
    for batch in batched(targets, PLAN_BATCH):
        batch = [target for target in batch if target.due_date in slots]
        people = AgencyPeople.load(target.agency_id for target in batch)
        escalated = [t.initiative_id for t in batch if slots[t.due_date].escalated]
        supervisors = supervising_contacts(escalated)
        rows = []
        for target in batch:
            slot = slots[target.due_date]
            recipients = recipients_for(
                target, escalated=slot.escalated, people=people, supervisors=supervisors
            )
            addressed = [(email, user_id, "") for email, user_id in recipients.addresses]
            unreached = [("", None, recipients.unreached)] if recipients.unreached else []
            for email, user_id, why in addressed + unreached:
                rows.append(
                    PlannedReminder(
                        milestone_id=target.id,
                        milestone_title=target.title,
                        recipient=email,
                        recipient_user_id=user_id,
                        slot=slot.name,
                        due_date=target.due_date,
                        level=slot.level,
                        escalated=slot.escalated,
                        unreached=why,
                    )
                )
        yield rows


def ledger_row(row: PlannedReminder, today: datetime.date) -> Reminder:
    """The ledger row of a planned reminder: pending, or unreached with why."""
    return Reminder(
        milestone_id=row.milestone_id,
        recipient=row.recipient,
        recipient_user_id=row.recipient_user_id,
        slot=row.slot,
        due_date=row.due_date,
        level=row.level,
        escalated=row.escalated,
        planned_on=today,
        status=Reminder.Status.UNREACHED if row.unreached else Reminder.Status.PENDING,
        last_error=row.unreached[:MAX_ERROR_LENGTH],
    )


def reminders_add(*, reminders: list[Reminder], today: datetime.date) -> int:
    """Add the ``reminders`` (all planned ``today``) the ledger does not have yet, its unique key
    deciding; returns how many of the added ones are to send (not unreached).

    Every adder (a sweep, "send now") first locks the reminders' milestones, so the rows found
    missing under the lock are exactly the rows this call adds, and a sweep run again writes
    nothing.
    """
    if not reminders:
        return 0
    milestone_ids = sorted({reminder.milestone_id for reminder in reminders})
    with transaction.atomic():
        # NO KEY UPDATE, in id order: two adders of the same milestones queue up, while the
        # foreign-key checks of inserts elsewhere (KEY SHARE) do not wait. SQLite needs no lock:
        # its IMMEDIATE transactions take the write lock at BEGIN.
        list(
            Milestone.objects.select_for_update(no_key=True)
            .filter(pk__any=milestone_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        stored = set(
            Reminder.objects.filter(milestone_id__any=milestone_ids).values_list(*LEDGER_KEY)
        )
        new = [reminder for reminder in reminders if ledger_key(reminder) not in stored]
        Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=PLAN_BATCH)
    return sum(reminder.status != Reminder.Status.UNREACHED for reminder in new)


# The ledger's unique key (the reminder_once_per_slot constraint).
LEDGER_KEY = ("milestone_id", "recipient", "slot", "due_date")


def ledger_key(reminder: Reminder) -> tuple[Any, ...]:
    return tuple(getattr(reminder, name) for name in LEDGER_KEY)


def reminders_plan(*, today: datetime.date) -> int:
    """Insert the reminders due today into the ledger; returns how many new ones are to send.

    Running it again, or twice at once, adds nothing: the ledger's unique key ignores rows it
    already has, and each sweep counts only the rows its own inserts added. A reminder that
    reaches nobody is kept as an ``unreached`` row saying why, for staff to see and for
    ``send_reminders`` to report, and is not counted.
    """
    added = 0
    for rows in planned_reminders(today):
        added += reminders_add(reminders=[ledger_row(row, today) for row in rows], today=today)
    return added


def reminders_unreached(*, planned_on: datetime.date) -> QuerySet[Reminder]:
    """The reminders planned that day that reach nobody, with their milestones."""
    return (
        Reminder.objects.filter(status=Reminder.Status.UNREACHED, planned_on=planned_on)
        .select_related("milestone")
        .order_by("due_date", "milestone_id", "id")
    )


def reminders_sweep(*, today: datetime.date | None = None) -> int:
    """The daily job's planning: today's reminders into the ledger, the run kept on record.
    Returns how many new ones are to send."""
    sweep = ReminderSweep.objects.create(planned_on=today or local_today())
    sweep.planned = reminders_plan(today=sweep.planned_on)
    sweep.finished_at = timezone.now()
    sweep.save(update_fields=["planned", "finished_at"])
    unreached = reminders_unreached(planned_on=sweep.planned_on).count()
    if unreached:
        logger.warning(
            "%d reminders for %s reach nobody; the reminder ledger lists them (status "
            "unreached) with why",
            unreached,
            sweep.planned_on,
        )
    return sweep.planned
