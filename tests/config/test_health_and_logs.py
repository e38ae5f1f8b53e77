"""/healthz answers fast when a service is down, and no log line carries a token, gunicorn's
access log included."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.celery import app as celery_app
from config.health import broker_reachable
from tests.helpers import BASE_DIR, wait_for

pytestmark = pytest.mark.django_db


class HangUp:
    """A loopback port that accepts connections and closes them at once, counting them."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()


@pytest.fixture
def broken_broker() -> Iterator[HangUp]:
    broker, saved = HangUp(), celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{broker.port}/0"
    try:
        yield broker
    finally:
        celery_app.conf.broker_url = saved
        broker.server.close()


def test_the_broker_probe_tries_once(broken_broker: HangUp) -> None:
    # A retry first waited two seconds, which a load balancer's probe spent waiting.
    assert broker_reachable() is False
    assert broken_broker.accepted == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_never_logs_a_feed_token_even_in_a_mangled_url(tmp_path: Path) -> None:
    # given the app under gunicorn with the production settings file
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "gunicorn-log-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--config", "python:config.gunicorn"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    secret = "itc_" + "S3cretFeedToken" * 3
    try:
        wait_for(lambda: "Booting worker" in log.read_text(), 60, "gunicorn up")
        # when calendar apps send the token in URLs that do not parse as meant
        for path in (
            f"/api/v1/calendar.ics;token={secret}",
            f"/api/v1/calendar.ics%3Ftoken%3D{secret}",
            f"/api/v1/calendar.ics%3Ftoken={secret}",
        ):
            with contextlib.suppress(urllib.error.HTTPError):  # 404s, and that is fine
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        wait_for(lambda: log.read_text().count("calendar.ics") >= 3, 20, "access lines")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # then every line was written, none with the token
    text = log.read_text()
    assert "S3cretFeedToken" not in text
    assert text.count("[redacted]") >= 3
