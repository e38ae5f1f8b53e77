"""Faults with the real services: a Redis broker that goes away during a sweep, and a worker
killed in the middle of a batch. Every reminder still arrives, exactly once, and the web app
keeps answering throughout."""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from config import celery_app
from tests.conftest import service_missing
from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.helpers import BASE_DIR, wait_for
from tests.tracker.conftest import Sink, SmtpServer, free_port
from tracker.models import Reminder
from tracker.services import reminders_sweep
from tracker.tasks import dispatch_reminders

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]
TODAY = datetime.date(2024, 6, 19)
LEASE_SECONDS = 3


class OwnRedis:
    """A Redis server of this test's own, on a free loopback port, to stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir = free_port(), workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis up")

    def answers(self) -> bool:
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        return subprocess.run(ping, capture_output=True, check=False).stdout.strip() == b"PONG"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        service_missing("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}
    celery_app.conf.update(broker_url=server.url, broker_transport_options={})
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield server
    finally:
        server.stop()
        celery_app.conf.update(saved)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


class Worker:
    """`celery worker` in its own process, on the test database, the own Redis and the sink."""

    def __init__(self, redis: OwnRedis, smtp_port: int, log: Path) -> None:
        database = connection.settings_dict
        env = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "VAR_DIR": str(log.parent),
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "CELERY_BROKER_URL": redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "REMINDER_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: "ready." in log.read_text(), 60, "worker ready")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class HoldingSink(Sink):
    """Holds every conversation at RCPT while ``hold`` is set, before any message is accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.hold, self.holding = threading.Event(), threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        while self.hold.is_set():
            self.holding.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def dispatch_until(condition: Any, seconds: float = 90) -> None:
    """Run the periodic dispatch (beat's job) every two seconds until ``condition`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dispatch_reminders()
        for _ in range(20):
            if condition():
                return
            time.sleep(0.1)
    pytest.fail(f"not delivered within {seconds}s")


def reminders_for(count: int) -> list[str]:
    agency = AgencyFactory()
    emails = []
    for n in range(count):
        owner = UserFactory(email=f"person{n}@example.org")
        MilestoneFactory(
            initiative=InitiativeFactory(owner_agency=agency),
            owner=owner,
            due_date=TODAY,
            baseline_due_date=TODAY,
        )
        emails.append(owner.email)
    return emails


def test_broker_outage_delays_mail_and_loses_none(
    redis: OwnRedis, smtp: SmtpServer, tmp_path: Path
) -> None:
    # given a running worker, and the broker going down
    emails = reminders_for(5)
    worker = Worker(redis, smtp.port, tmp_path / "worker.log")
    try:
        redis.stop()
        # when the sweep runs during the outage, it still finishes, and the web app answers
        planned = reminders_sweep(today=TODAY)
        dispatch_reminders()  # as the sweep task does next
        assert planned == 5
        assert set(Reminder.objects.values_list("status", flat=True)) == {"pending"}
        admin = UserFactory(username="root", is_superuser=True)
        client = APIClient()
        client.force_authenticate(admin)
        initiative = InitiativeFactory()
        assert client.get("/api/v1/milestones/").status_code == 200
        assert (
            client.patch(f"/api/v1/initiatives/{initiative.pk}/", {"progress": 5}).status_code
            == 200
        )
        # when the broker is back and the periodic dispatch runs
        redis.start()
        dispatch_until(lambda: len(smtp.sink.messages) >= 5)
        # then every reminder arrived, once
        time.sleep(1)
        assert sorted(str(m["To"]) for m in smtp.sink.messages) == sorted(emails)
        assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        worker.stop()


@pytest.fixture
def holding_smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(HoldingSink())
    server.start()
    try:
        yield server
    finally:
        server.sink.hold.clear()
        server.stop()


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    redis: OwnRedis, holding_smtp: SmtpServer, tmp_path: Path
) -> None:
    sink: HoldingSink = holding_smtp.sink
    emails = reminders_for(4)
    # given a worker in the middle of a batch: rows claimed, the first message under way
    sink.hold.set()
    first = Worker(redis, holding_smtp.port, tmp_path / "first.log")
    reminders_sweep(today=TODAY)
    dispatch_reminders()
    wait_for(sink.holding.is_set, 60, "first message under way")
    # when the worker is killed there, and a new one started
    first.kill()
    sink.hold.clear()
    second = Worker(redis, holding_smtp.port, tmp_path / "second.log")
    try:
        # then once the dead worker's lease runs out, the next dispatch delivers everything once
        time.sleep(LEASE_SECONDS + 1)
        dispatch_until(lambda: len(sink.messages) >= 4)
        time.sleep(1)
        dispatch_reminders()
        time.sleep(2)
        assert sorted(str(m["To"]) for m in sink.messages) == sorted(emails)
        assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        second.stop()
