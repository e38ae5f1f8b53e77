"""Reminder-system measurements, run inside Django against a benchmark database.

    python -m bench.reminders_probe sweep --today 2026-11-26
    python -m bench.reminders_probe mail --digests 10000

Prints one JSON object; bench/run.py turns it into ratio lines. Each step that writes runs in a
transaction that is rolled back, so a step can be measured several times on the same data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import smtplib
import statistics
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import free_port  # noqa: E402
from initiatives.models import Milestone  # noqa: E402
from tracker import policy  # noqa: E402
from tracker.models import Reminder, ReminderSweep  # noqa: E402
from tracker.services import (  # noqa: E402
    digest_message,
    milestones_to_remind,
    reminders_plan,
    reminders_send_batch,
    slots_due,
)

# Medians of this many timed plans each (a shared machine's noise moved a median of 3 by a
# fifth between runs).
RUNS = 7


class Rollback(Exception):
    pass


def timed_in_rollback(step: Any) -> tuple[float, Any]:
    result: Any = None
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = step()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, result


FLOOR_PLAN_SQL = """
WITH slot(due_date, slot, level, escalated) AS (
    SELECT * FROM unnest(%(dates)s::date[], %(slots)s::text[], %(levels)s::text[], %(escalated)s::bool[])
), due AS (
    SELECT m.id, m.due_date, m.owner_id, i.id AS initiative_id, i.owner_agency_id,
           s.slot, s.level, s.escalated
      FROM initiatives_milestone m
      JOIN slot s ON s.due_date = m.due_date
      JOIN initiatives_initiative i ON i.id = m.initiative_id
     WHERE m.status IN ('planned', 'in_progress')
), owners AS (
    SELECT d.*, u.email, u.id AS user_id FROM due d
      JOIN auth_user u ON u.id = d.owner_id AND u.is_active AND u.email <> ''
), staff AS (
    SELECT d.*, u.email, u.id AS user_id FROM due d
      JOIN initiatives_membership ms ON ms.agency_id = d.owner_agency_id
           AND ms.role IN ('editor', 'manager')
      JOIN auth_user u ON u.id = ms.user_id AND u.is_active AND u.email <> ''
     WHERE NOT EXISTS (SELECT 1 FROM owners o WHERE o.id = d.id)
), contact AS (
    SELECT d.*, a.contact_email AS email, NULL::integer AS user_id FROM due d
      JOIN initiatives_agency a ON a.id = d.owner_agency_id AND a.contact_email <> ''
     WHERE NOT EXISTS (SELECT 1 FROM owners o WHERE o.id = d.id)
       AND NOT EXISTS (SELECT 1 FROM staff t WHERE t.id = d.id)
), escalation AS (
    SELECT d.*, u.email, u.id AS user_id FROM due d
      JOIN initiatives_membership ms ON ms.agency_id = d.owner_agency_id AND ms.role = 'manager'
      JOIN auth_user u ON u.id = ms.user_id AND u.is_active AND u.email <> ''
     WHERE d.escalated
    UNION ALL
    SELECT d.*, a.contact_email, NULL FROM due d
      JOIN initiatives_initiativeagency r ON r.initiative_id = d.initiative_id AND r.role = 'supervising'
      JOIN initiatives_agency a ON a.id = r.agency_id AND a.contact_email <> ''
     WHERE d.escalated
)
INSERT INTO tracker_reminder (milestone_id, recipient, recipient_user_id, slot, due_date, level,
                              escalated, planned_on, status, attempts, last_error, message_id,
                              created_at)
SELECT id, email, user_id, slot, due_date, level, escalated, %(today)s, 'pending', 0, '', '', now()
  FROM (SELECT * FROM owners UNION ALL SELECT * FROM staff UNION ALL SELECT * FROM contact
        UNION ALL SELECT * FROM escalation) recipients
ON CONFLICT DO NOTHING
"""


def shrink(today: datetime.date, keep_share: float) -> None:
    """Delete most milestones that have no reminder due, keeping every one that has."""
    candidates, _ = milestones_to_remind(today)
    due = list(candidates.values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM initiatives_milestone WHERE random() > %s AND NOT (id = ANY(%s))",
            [keep_share, due],
        )
        cursor.execute("VACUUM ANALYZE initiatives_milestone")


def sweep(today: datetime.date) -> dict[str, Any]:
    candidates, _ = milestones_to_remind(today)
    previous = ReminderSweep.objects.latest().planned_on
    fresh = slots_due(today, since=previous)
    plan_times, floor_times, planned, floor_planned = [], [], 0, 0
    for _ in range(RUNS):
        elapsed, planned = timed_in_rollback(lambda: reminders_plan(today=today))
        plan_times.append(elapsed)

        def floor() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    FLOOR_PLAN_SQL,
                    {
                        "dates": list(fresh),
                        "slots": [slot.name for slot in fresh.values()],
                        "levels": [slot.level for slot in fresh.values()],
                        "escalated": [slot.escalated for slot in fresh.values()],
                        "today": today,
                    },
                )
                return cursor.rowcount

        elapsed, floor_planned = timed_in_rollback(floor)
        floor_times.append(elapsed)
    return {
        "plan_seconds": statistics.median(plan_times),
        "floor_seconds": statistics.median(floor_times),
        "runs": RUNS,
        "planned": planned,
        "floor_planned": floor_planned,
        "milestones_due": candidates.count(),
        "milestones_stored": Milestone.objects.count(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


class Sink:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 OK"


def mail(digests: int) -> dict[str, Any]:
    from django.conf import settings

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    today = timezone.localdate()
    try:
        milestones = list(Milestone.objects.open().filter(due_date__isnull=False)[:digests])
        recipients = [f"person{n}@bench.example" for n in range(len(milestones))]

        def pending() -> list[Reminder]:
            """One pending reminder for each recipient, about one milestone each."""
            return Reminder.objects.bulk_create(
                Reminder(
                    milestone=milestone,
                    recipient=recipient,
                    slot="due",
                    due_date=milestone.due_date or today,
                    level="warning",
                    planned_on=today,
                )
                for milestone, recipient in zip(milestones, recipients, strict=True)
            )

        def send() -> int:
            pending()
            started = time.perf_counter()
            outcome = reminders_send_batch(recipients, today=today)
            send.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
            return len(outcome.sent)

        _, sent = timed_in_rollback(send)
        ours = send.elapsed  # type: ignore[attr-defined]
        # The floor: the same digests, already rendered, through a bare smtplib loop.
        with transaction.atomic():
            rows = pending()
            for row, milestone in zip(rows, milestones, strict=True):
                row.milestone = milestone
            messages = [digest_message(row.recipient, [row], today).message() for row in rows]
            transaction.set_rollback(True)
        prepared = [(m["From"], [m["To"]], m.as_bytes(linesep="\r\n")) for m in messages]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for sender, to, body in prepared:
                smtp.sendmail(sender, to, body)
        floor = time.perf_counter() - started
    finally:
        controller.stop()
    return {
        "digests": sent,
        "ours_per_second": sent / ours,
        "floor_per_second": len(prepared) / floor,
        "received": sink.received,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["sweep", "mail"])
    parser.add_argument("--today", type=datetime.date.fromisoformat)
    parser.add_argument("--digests", type=int, default=10_000)
    parser.add_argument(
        "--keep",
        type=float,
        help="Delete all but this share of the milestones with no reminder due.",
    )
    options = parser.parse_args()
    if options.what == "sweep":
        today = options.today or policy.working_day_on_or_after(timezone.localdate())
        # A daily sweep ran on the working day before, after the data was made.
        previous = policy.working_day_on_or_before(today - datetime.timedelta(days=1))
        ReminderSweep.objects.get_or_create(
            planned_on=previous, defaults={"finished_at": timezone.now()}
        )
        if options.keep is not None:
            shrink(today, options.keep)
        result = sweep(today)
    else:
        result = mail(options.digests)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
