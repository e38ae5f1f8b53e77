"""Reminder-system measurements, run inside Django against a benchmark database.

    python -m bench.reminders_probe sweep --today 2026-11-26
    python -m bench.reminders_probe mail --digests 10000

Prints one JSON object; bench/run.py turns it into ratio lines. Each sweep runs in a transaction
that is rolled back, so it can be measured several times on the same data; the mail run commits
(a worker in another process sends), on a copy of the data set that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import BASE_DIR, app_env, free_port, wait_for_port  # noqa: E402
from initiatives.models import Milestone  # noqa: E402
from tracker import policy  # noqa: E402
from tracker.models import Reminder, ReminderSweep  # noqa: E402
from tracker.services import (  # noqa: E402
    claimed_reminders,
    digest_message,
    milestones_to_remind,
    reminders_plan,
    slots_due,
)
from tracker.tasks import queue_reminder_batches  # noqa: E402

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


# A run of the worker pool that has not sent every digest by then has failed.
MAIL_TIMEOUT_SECONDS = 900


@contextmanager
def mail_sink() -> Iterator[int]:
    """An SMTP sink (aiosmtpd, accepting and dropping every message) in its own process, as a
    mail server is: in this process it would take the interpreter lock from the senders."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
    process = subprocess.Popen([*command, "-l", f"127.0.0.1:{port}"])
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def celery_worker(database: str, smtp_port: int) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The reminder worker as deployed (docker-compose.yml): ``celery worker``, prefork, as many
    processes as configured, on this run's database and broker, mailing the sink. Yields the
    process and the number of pool processes its banner reports."""
    from django.conf import settings

    env = app_env(
        database,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        # The worker logs through LOG_LEVEL; its "ready." and banner lines are INFO.
        LOG_LEVEL="INFO",
    )
    # No --concurrency: the setting decides, as in docker-compose.yml.
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
        "--without-mingle", "--without-gossip", "--loglevel", "INFO",
    ]  # fmt: skip
    # Appending: the worker writes at the end whatever this process reads.
    with tempfile.TemporaryFile("a+") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its pool processes stop with it
        )
        try:
            deadline = time.monotonic() + 60
            while "ready." not in _read(log):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker did not start:\n{_read(log)[-3000:]}")
                time.sleep(0.1)
            banner = re.search(r"concurrency: (\d+)", _read(log))
            if banner is None:
                raise RuntimeError(f"celery worker did not report its concurrency:\n{_read(log)}")
            yield process, int(banner.group(1))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _read(log: Any) -> str:
    log.seek(0)
    return str(log.read())


def pending_reminders(digests: int, today: datetime.date) -> list[Reminder]:
    """One pending reminder for each of ``digests`` recipients, about one milestone each."""
    milestones = list(Milestone.objects.open().filter(due_date__isnull=False)[:digests])
    return Reminder.objects.bulk_create(
        (
            Reminder(
                milestone=milestone,
                recipient=f"person{n}@bench.example",
                slot="due",
                due_date=milestone.due_date or today,
                level="warning",
                planned_on=today,
            )
            for n, milestone in enumerate(milestones)
        ),
        batch_size=settings.BULK_BATCH_SIZE,
    )


def smtplib_loop_seconds(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    """The floor: the messages, already rendered, through one bare smtplib connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, to, body in messages:
            smtp.sendmail(sender, to, body)
    return time.perf_counter() - started


def mail(database: str, digests: int) -> dict[str, Any]:
    """The worker pool sending ``digests`` digests (from the dispatch until every row is marked
    sent), against a bare smtplib loop sending the same messages before and after it."""
    if Reminder.objects.exists():
        # It commits, dispatches every pending reminder and counts the whole ledger.
        raise SystemExit("mail runs on a copy of a data set with no reminders (bench/run.py)")
    today = timezone.localdate()
    # Committed: the probe runs on a copy of the data set that is dropped afterwards.
    rows = pending_reminders(digests, today)
    claimed = claimed_reminders(row.pk for row in rows)
    # Any: Django's MIME messages take as_bytes(linesep=...), which the stubs do not declare.
    rendered: list[Any] = [digest_message(row.recipient, [row], today).message() for row in claimed]
    messages = [(m["From"], [m["To"]], m.as_bytes(linesep="\r\n")) for m in rendered]
    sent = Reminder.objects.filter(status=Reminder.Status.SENT)
    with mail_sink() as port:
        floors = [smtplib_loop_seconds(port, messages)]
        with celery_worker(database, port) as (worker, processes):
            started = time.perf_counter()
            queue_reminder_batches()
            while (done := sent.count()) < len(rows):
                if worker.poll() is not None:
                    raise RuntimeError("celery worker stopped")
                if time.perf_counter() - started > MAIL_TIMEOUT_SECONDS:
                    raise RuntimeError(f"{done} of {len(rows)} digests sent in time")
                time.sleep(0.05)
            ours = time.perf_counter() - started
        floors.append(smtplib_loop_seconds(port, messages))
    floor = statistics.mean(floors)
    return {
        "digests": done,
        "ours_per_second": done / ours,
        "floor_per_second": len(messages) / floor,
        "worker_processes": processes,
        "not_sent": Reminder.objects.exclude(status=Reminder.Status.SENT).count(),
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
        result = mail(connection.settings_dict["NAME"], options.digests)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
