"""`make run` on its embedded defaults: it boots, serves the admin with the seed loaded, links
to the port it serves on, lets the web side reach the worker through the filesystem broker,
stops cleanly on Ctrl-C, and a second run keeps the data."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR

pytestmark = pytest.mark.smoke

BOOT_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """Pids whose environment carries the marker: everything a run started, whatever its session."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class Stack:
    def __init__(self, var_dir: Path, log: Path) -> None:
        self.var_dir, self.log, self.port = var_dir, log, free_port()
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "VAR_DIR": str(var_dir),
            "RUN_PORT": str(self.port),
        }
        with log.open("w") as out:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(f"{self.base}/admin/login/", timeout=5) as response:
                    if response.status == 200 and "ready." in self.output():
                        return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"make run did not serve within {BOOT_SECONDS}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    var = tmp_path / "var"
    yield var
    for pid in processes_with(f"VAR_DIR={var}"):  # never leave a stray server behind
        os.kill(pid, signal.SIGKILL)


def environment_of(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def command_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def log_in_and_get(base: str, credentials: str, path: str) -> str:
    username = re.search(r"username: (\S+)", credentials).group(1)  # type: ignore[union-attr]
    password = re.search(r"password: (\S+)", credentials).group(1)  # type: ignore[union-attr]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": path}
    ).encode()
    request = urllib.request.Request(
        f"{base}/admin/login/?next={urllib.parse.quote(path)}", data=form
    )
    request.add_header("Referer", f"{base}/admin/login/")
    return opener.open(request, timeout=10).read().decode()


def test_make_run_boots_serves_the_seed_and_stops_cleanly(var_dir: Path, tmp_path: Path) -> None:
    # given a first run on a fresh folder
    stack = Stack(var_dir, tmp_path / "run1.log")
    stack.wait_until_serving()
    # then the admin shows the seed data set to the demo superuser
    credentials = (var_dir / "demo-login.txt").read_text()
    assert "Created demo superuser" in stack.output()
    page = log_in_and_get(stack.base, credentials, "/admin/initiatives/initiative/?q=Light+Chasing")
    assert "Light Chasing Action" in page
    assert "Loaded the seed data set" in stack.output()
    # and the links it hands out lead to the port it serves on (not 8000): a calendar feed's,
    # issued by the web server
    issued = subprocess.run(
        [str(BASE_DIR / ".venv/bin/python"), "manage.py", "create_api_token", "demo"],
        cwd=BASE_DIR,
        env=stack.env | {"DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    request = urllib.request.Request(
        f"{stack.base}/api/v1/feed-tokens/",
        data=json.dumps({"name": "phone"}).encode(),
        headers={"Authorization": f"Bearer {issued}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["feed_url"].startswith(f"{stack.base}/api/v1/calendar.ics?")
    # and the reminder emails', written by the worker
    workers = [pid for pid in processes_with(f"VAR_DIR={var_dir}") if "worker" in command_of(pid)]
    assert workers, "no Celery worker is running"
    assert {environment_of(pid).get("SITE_URL") for pid in workers} == {stack.base}
    # and the worker answers through the shared filesystem broker, from another process
    ping = subprocess.run(
        [str(BASE_DIR / ".venv/bin/celery"), "-A", "config", "inspect", "ping", "--timeout", "10"],
        cwd=BASE_DIR,
        env=stack.env | {"DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "pong" in ping.stdout, ping.stdout + ping.stderr
    # when Ctrl-C is pressed
    stack.stop()
    # then nothing it started is left running
    deadline = time.monotonic() + 30
    while processes_with(f"VAR_DIR={var_dir}") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_with(f"VAR_DIR={var_dir}") == []

    # given a second run on the same folder
    again = Stack(var_dir, tmp_path / "run2.log")
    again.wait_until_serving()
    # then it keeps the data and the demo login
    assert "the seed was not loaded again" in again.output()
    assert "Demo superuser 'demo' exists" in again.output()
    assert "Light Chasing Action" in log_in_and_get(
        again.base, credentials, "/admin/initiatives/initiative/?q=Light+Chasing"
    )
    again.stop()
