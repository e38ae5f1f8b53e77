"""Exactly once under concurrency, on PostgreSQL: parallel sweeps and parallel senders."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.helpers import BASE_DIR, wait_for
from tests.tracker.conftest import Sink
from tracker.models import Reminder
from tracker.services import reminders_claim, reminders_plan, reminders_send_batch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]
D = datetime.date
TODAY = D(2024, 6, 19)


def many_milestones(count: int) -> list[str]:
    agency = AgencyFactory()
    owners = [UserFactory(email=f"owner{n}@example.org") for n in range(count)]
    for owner in owners:
        MilestoneFactory(
            initiative=InitiativeFactory(owner_agency=agency),
            owner=owner,
            due_date=TODAY,
            baseline_due_date=TODAY,
        )
    return [owner.email for owner in owners]


def run_in_threads(count: int, target: Any) -> list[Any]:
    start, results = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        try:
            start.wait(timeout=10)
            results[n] = target()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_sweeps_in_parallel_processes_plan_each_reminder_once() -> None:
    # given
    many_milestones(30)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "DEBUG": "true",
        "EMAIL_URL": "dummymail://",
    }
    plan = [
        sys.executable,
        "-c",
        (
            "import django, datetime; django.setup(); from tracker.services import reminders_plan; "
            "print(reminders_plan(today=datetime.date(2024, 6, 19)))"
        ),
    ]
    # when two processes plan at once
    processes = [
        subprocess.Popen(
            plan,
            env=env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    # then every reminder is in the ledger once, and together they report 30 new rows
    assert all(process.returncode == 0 for process in processes), outputs
    assert Reminder.objects.count() == 30
    assert sum(int(out.strip().splitlines()[-1]) for out, _ in outputs) == 30
    assert Reminder.objects.values("recipient").distinct().count() == 30


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def test_a_sweep_beside_an_uncommitted_one_counts_only_the_rows_it_added() -> None:
    # given a sweep that has added its rows and not yet committed
    many_milestones(5)
    added, release = threading.Event(), threading.Event()

    def first_sweep() -> int:
        with transaction.atomic():
            planned = reminders_plan(today=TODAY)
            added.set()
            release.wait(timeout=30)
        return planned

    results: dict[str, int] = {}

    def run(name: str, sweep: Any) -> None:
        try:
            results[name] = sweep()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first_sweep))]
    threads[0].start()
    added.wait(timeout=30)
    # when a second sweep for the same day starts, and waits for it
    second = threading.Thread(target=run, args=("second", lambda: reminders_plan(today=TODAY)))
    threads.append(second)
    second.start()
    wait_for(lambda: sessions_waiting_on_a_lock() == 1, what="the second sweep waiting")
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    # then the rows are the first one's, and only it counts them
    assert results == {"first": 5, "second": 0}
    assert Reminder.objects.count() == 5


def test_two_senders_at_once_send_each_digest_once(sink: Sink) -> None:
    # given 20 recipients with a reminder each
    recipients = many_milestones(20)
    reminders_plan(today=TODAY)
    # when two senders work through the same recipients at the same moment
    outcomes = run_in_threads(2, lambda: reminders_send_batch(recipients, today=TODAY))
    # then each recipient got exactly one digest, sent by one of them
    assert sorted(m["To"] for m in sink.messages) == sorted(recipients)
    sent_by_each = [set(outcome.sent) for outcome in outcomes]
    assert sent_by_each[0].isdisjoint(sent_by_each[1])
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def test_rows_of_a_dead_sender_are_taken_again_after_the_lease(
    sink: Sink, time_machine: Any, settings: Any
) -> None:
    # given a sender that claimed a recipient's rows and died before sending
    (recipient,) = many_milestones(1)
    reminders_plan(today=TODAY)

    time_machine.move_to(datetime.datetime(2024, 6, 19, 2, tzinfo=datetime.UTC))
    assert len(reminders_claim([recipient], timezone.now())[recipient]) == 1
    # when another sender comes before the lease ends, it leaves them alone
    assert reminders_send_batch([recipient], today=TODAY).sent == []
    # and after the lease, it sends them, once
    time_machine.shift(datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1))
    assert reminders_send_batch([recipient], today=TODAY).sent == [recipient]
    assert reminders_send_batch([recipient], today=TODAY).sent == []
    assert len(sink.messages) == 1
