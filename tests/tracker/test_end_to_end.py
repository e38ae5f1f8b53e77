"""End to end with real parts: the sweep queues send tasks on Redis, a real Celery worker
sends the digests to a real SMTP server, and each reminder arrives exactly once."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from config import celery_app
from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.helpers import wait_for
from tests.tracker.conftest import Sink, body
from tracker.models import Reminder
from tracker.services import reminders_sweep
from tracker.tasks import dispatch_reminders

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = datetime.date(2024, 6, 19)


def forget_connections() -> None:
    # The app keeps its producer pool for the broker it first met; drop it to meet another.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker_on_redis(redis_url: str) -> Iterator[Any]:
    """A real worker consuming from a real Redis broker, in a thread of this process."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}
    celery_app.conf.update(broker_url=redis_url, broker_transport_options={})
    forget_connections()
    celery_app.control.purge()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False) as worker:
            yield worker
    finally:
        celery_app.conf.update(saved)
        forget_connections()


def test_sweep_to_inbox_exactly_once(worker_on_redis: Any, sink: Sink) -> None:
    # given three people with reminders due today, one with two milestones
    agency = AgencyFactory()
    people = [UserFactory(email=f"person{n}@example.org") for n in range(3)]
    for owner in [*people, people[0]]:
        MilestoneFactory(
            initiative=InitiativeFactory(owner_agency=agency),
            owner=owner,
            due_date=TODAY,
            baseline_due_date=TODAY,
        )
    # when the sweep runs, and runs again
    planned, queued = reminders_sweep(today=TODAY), dispatch_reminders()
    assert (planned, queued) == (4, 3)
    wait_for(lambda: len(sink.messages) == 3)
    assert (reminders_sweep(today=TODAY), dispatch_reminders()) == (0, 0)
    time.sleep(1)
    # then each person has exactly one digest, with all of their milestones
    assert sorted(str(m["To"]) for m in sink.messages) == sorted(str(p.email) for p in people)
    digest = body(sink.to("person0@example.org")[0])
    assert digest.count("  - [") == 2
    wait_for(lambda: set(Reminder.objects.values_list("status", flat=True)) == {"sent"})
