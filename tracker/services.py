"""Planning, dispatching and sending deadline reminders through the ledger (``Reminder``).

- ``reminders_plan`` (the sweep) inserts the ledger rows due today; it is idempotent.
- ``reminders_dispatch`` hands every recipient with pending rows to a send task, after commit;
  a broker that is down only leaves the rows pending for the next dispatch.
- ``reminders_send_batch`` sends one digest per recipient over one SMTP connection, claiming
  each recipient's rows first (row locks with SKIP LOCKED, and a lease that a later dispatch
  takes over if this worker dies) and marking them sent right after their own message.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from types import SimpleNamespace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Min, Q, QuerySet
from django.template.loader import get_template
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from initiatives.dates import local_today
from initiatives.models import Milestone
from tracker import policy
from tracker.links import MilestoneLinks
from tracker.models import Reminder, ReminderSweep
from tracker.recipients import (
    TARGET_COLUMNS,
    AgencyPeople,
    Target,
    recipients_for,
    supervising_contacts,
)

logger = logging.getLogger(__name__)

PLAN_BATCH = 2000
RECIPIENTS_PER_SEND_TASK = 50
# Slots whose day passed within this many days are planned again if still missing (a sweep was
# missed, a milestone was added late); the ledger's unique key ignores the ones already there.
# Two overdue intervals and a holiday break cover the latest slot of every due date.
CATCH_UP_DAYS = 2 * 7 + policy.HOLIDAY_MARGIN_DAYS
MAX_ERROR_LENGTH = 2000


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (itertools.batched arrives only in Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- Planning (the sweep) ---------------------------------------------------------------------
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

    Counted from this insert alone: another sweep (or "send now") adding rows for the same
    milestones waits on their lock until this one commits, so neither counts the other's rows.
    """
    if not reminders:
        return 0
    milestone_ids = sorted({reminder.milestone_id for reminder in reminders})
    # Only rows planned today can appear between the two counts: the index on planned_on keeps
    # them cheap.
    to_send = Reminder.objects.filter(planned_on=today, milestone_id__in=milestone_ids).exclude(
        status=Reminder.Status.UNREACHED
    )
    with transaction.atomic():
        # NO KEY UPDATE, in id order: two adders of the same milestones queue up, while the
        # foreign-key checks of inserts elsewhere (KEY SHARE) do not wait. SQLite needs no lock:
        # its IMMEDIATE transactions take the write lock at BEGIN.
        list(
            Milestone.objects.select_for_update(no_key=True)
            .filter(pk__in=milestone_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        before = to_send.count()
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=PLAN_BATCH)
        return to_send.count() - before


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


# --- Dispatching --------------------------------------------------------------------------------
def _claimable(now: datetime.datetime) -> Q:
    return Q(status=Reminder.Status.PENDING) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def recipients_with_pending_reminders() -> list[str]:
    rows = Reminder.objects.filter(_claimable(timezone.now()))
    return list(rows.values_list("recipient", flat=True).distinct().order_by("recipient"))


def reminders_dispatch() -> int:
    """Queue a send task per batch of recipients with pending reminders, once committed.

    Returns the number of recipients queued. A broker error is logged, not raised: the rows
    stay pending and the next dispatch (every few minutes) queues them again.
    """
    from tracker.tasks import send_reminder_batch

    recipients = recipients_with_pending_reminders()

    def enqueue() -> None:
        try:
            for chunk in batched(recipients, RECIPIENTS_PER_SEND_TASK):
                send_reminder_batch.delay(list(chunk))
        except BrokerError:
            logger.exception("Broker unreachable; reminders stay pending until the next dispatch")

    transaction.on_commit(enqueue)
    return len(recipients)


def reminders_sweep(*, today: datetime.date | None = None) -> tuple[int, int]:
    """The daily job: plan today's reminders, then queue everything pending; kept on record."""
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
    return sweep.planned, reminders_dispatch()


# --- Sending ------------------------------------------------------------------------------------
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
    """The ledger rows ``ids`` as a digest reads them, in id order.

    Read as tuples: building the reminder, milestone, initiative and agency objects of each row
    (some sixty fields) cost a one-line digest a fifth of its time in the worker.
    """
    lookups = [_CLAIMED_LOOKUPS.get(name, name) for name in ClaimedReminder._fields]
    rows = Reminder.objects.filter(pk__in=ids).order_by("id").values_list(*lookups)
    return [ClaimedReminder._make(row) for row in rows]


def message_id_for(ids: Iterable[int]) -> str:
    """The same rows always make the same Message-ID, so a resent digest is recognisable."""
    key = ",".join(str(pk) for pk in sorted(ids))
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<reminders-{digest}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"


# Read once: the enum builds this list again on every access.
LEVELS = Reminder.Level.values


class DigestLine(NamedTuple):
    level: str
    level_label: str
    title: str
    due_date: datetime.date
    days_left: int
    escalated: bool
    admin_url: str
    api_url: str


class DigestGroup(NamedTuple):
    """The lines of one initiative."""

    title: str
    lead_agency: str
    lines: list[DigestLine]


def digest_message(
    recipient: str, rows: list[ClaimedReminder], today: datetime.date
) -> EmailMultiAlternatives:
    """One email of the reminders ``rows`` to ``recipient``, grouped by initiative, soonest
    deadline first."""
    links = MilestoneLinks.current()
    levels = Counter(row.level for row in rows)
    groups: dict[int, DigestGroup] = {}
    for row in sorted(rows, key=lambda r: (r.milestone_due_date or r.due_date, r.milestone_id)):
        group = groups.get(row.initiative_id)
        if group is None:
            group = groups[row.initiative_id] = DigestGroup(
                row.initiative_title, row.lead_agency, []
            )
        group.lines.append(
            DigestLine(
                level=row.level,
                level_label=str(Reminder.Level(row.level).label),
                title=row.milestone_title,
                due_date=row.due_date,
                days_left=(row.due_date - today).days,
                escalated=row.escalated,
                admin_url=links.admin_url(row.milestone_id),
                api_url=links.api_url(row.milestone_id),
            )
        )
    context = {
        "recipient": recipient,
        "today": today,
        "groups": list(groups.values()),
        # Attributes, as the templates read them: Jinja2 looks a name up as an attribute first.
        "counts": SimpleNamespace(**{level: levels[level] for level in LEVELS}),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=_render("tracker/email/digest_subject.txt", context).strip(),
        body=_render("tracker/email/digest.txt", context),
        to=[recipient],
        headers={"Message-ID": message_id_for(row.id for row in rows)},
    )
    message.attach_alternative(_render("tracker/email/digest.html", context), "text/html")
    return message


def _render(name: str, context: dict[str, Any]) -> str:
    return get_template(name, using="mail").render(context)


def _claim(recipients: list[str], now: datetime.datetime) -> dict[str, list[ClaimedReminder]]:
    """Take the recipients' pending rows for one lease, in one transaction; rows another
    sender holds are skipped (SKIP LOCKED while it claims, the lease after)."""
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
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    claimed = _claim(recipients, timezone.now())
    stale = [row.id for rows in claimed.values() for row in rows if not _still_due(row)]
    if stale:
        Reminder.objects.filter(pk__in=stale).update(
            status=Reminder.Status.SKIPPED, claimed_until=None
        )
        outcome.skipped = len(stale)
    try:
        for recipient, rows in claimed.items():
            live = [row for row in rows if _still_due(row)]
            if not live:
                continue
            message = digest_message(recipient, live, today)
            ids = [row.id for row in live]
            try:
                # Opened here, not by send_messages, which would close a connection it opened
                # itself after every message (a no-op while the connection is open).
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


# --- Staff actions ------------------------------------------------------------------------------
class SentNow(NamedTuple):
    """What "send reminder now" did: reminders queued, and why nobody gets one, if so."""

    queued: int
    unreached: str


def reminder_send_now(*, milestone: Milestone, today: datetime.date | None = None) -> SentNow:
    """Queue one reminder about ``milestone`` to its recipients now, through the ledger.

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
    with transaction.atomic():
        added = reminders_add(reminders=rows, today=today)
        reminders_dispatch()
    return SentNow(added, recipients.unreached)


def reminders_retry_failed(*, reminders: Any) -> int:
    """Put failed rows back in the outbox, with a fresh count of attempts."""
    with transaction.atomic():
        count: int = reminders.filter(status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING, attempts=0, claimed_until=None
        )
        reminders_dispatch()
    return count
