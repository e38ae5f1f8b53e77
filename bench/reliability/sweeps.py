"""Reminder sweeps beside the load: an SMTP sink on loopback, and pairs of ``send_reminders``
processes started at the same moment, so that the checks can tell whether any digest went twice."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.common import BASE_DIR, app_env, free_port

SWEEP_TIMEOUT = 180.0  # a sweep process that takes longer is stopped and counted as failed


class MailSink:
    """An SMTP server on loopback that keeps the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.message_ids: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.message_ids.append(str(message.get("Message-ID", "")).strip())
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Sweep:
    day: datetime.date
    started: float
    finished: float = 0.0
    returncode: int | None = None
    output: str = ""

    @property
    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        return lines[-1] if lines else ""


def sweep_pairs(
    database: str, sink: MailSink, stop: threading.Event, every: float, sweeps: list[Sweep]
) -> None:
    """Until ``stop``: start two ``send_reminders`` processes at once for the same day, wait for
    both, then the next pair (for the next day) at the next tick."""
    env = app_env(database, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}", LOG_LEVEL="ERROR")
    day = datetime.date.today()  # noqa: DTZ011  the sweep judges days in TIME_ZONE itself
    tick = time.perf_counter()
    while not stop.is_set():
        processes = []
        for _ in range(2):
            sweep = Sweep(day, time.perf_counter())
            process = subprocess.Popen(
                [sys.executable, "manage.py", "send_reminders", "--today", day.isoformat()],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            processes.append((sweep, process))
        for sweep, process in processes:
            try:
                sweep.output, _ = process.communicate(timeout=SWEEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                sweep.output, _ = process.communicate()
                sweep.output += f"\nstopped after {SWEEP_TIMEOUT:.0f}s"
            sweep.finished = time.perf_counter()
            sweep.returncode = process.returncode
            sweeps.append(sweep)
        day += datetime.timedelta(days=1)
        tick += every
        stop.wait(max(0.0, tick - time.perf_counter()))


def overlapping_pairs(sweeps: Sequence[Sweep]) -> int:
    """How many pairs of sweep processes ran at the same time."""
    return sum(
        1
        for i, a in enumerate(sweeps)
        for b in sweeps[i + 1 :]
        if a.started < b.finished and b.started < a.finished
    )


SWEEP_SUMMARY = re.compile(r"(\d+) planned, (\d+) digests sent, (\d+) failed")
