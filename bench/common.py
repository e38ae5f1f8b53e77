"""What every benchmark shares: data sets in PostgreSQL template databases, a server on loopback,
and timing that compares a path with its floor measured in the same run.

Each figure is printed as ``NAME: ratio R.RRx (target <= T.Tx) ok`` (or ``MISS``): absolute
times alone say little on a shared machine, ratios against a floor taken moments apart do.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
# (initiatives, milestones per initiative): the full national-scale set and a quick one for CI.
SIZES = {"full": (100_000, 10), "quick": (2_000, 10)}
# The reliability load test (bench/reliability/, make load).
SIZES["load"] = (10_000, 10)
# The broker of the Celery worker that a benchmark starts; emptied before each use.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return parts._replace(path=f"/{name}").geturl()


def admin_execute(*statements: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def database_exists(name: str) -> bool:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def app_env(database: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like process on ``database`` (DEBUG off)."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(database),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_URL": "dummymail://",
        # Benchmarks measure the work, not the rate limit. Per second, not per minute: DRF
        # keeps the time of every request within the period, and a minute of a load test's
        # requests would make that list, not the endpoint, the cost measured.
        "API_THROTTLE_USER": "1000000/second",
        "API_THROTTLE_ANON": "1000000/second",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def run_in_app(database: str, *argv: str, **env: str) -> str:
    """Run a Python program of the project on ``database`` (``env`` added to app_env's); its
    standard output."""
    result = subprocess.run(
        [sys.executable, *argv],
        cwd=BASE_DIR,
        env=app_env(database, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stderr}")
    return result.stdout


def manage(database: str, *args: str) -> str:
    return run_in_app(database, "manage.py", *args)


def schema_fingerprint() -> str:
    """Changes whenever the migrations or the generator do, so a stale template is rebuilt."""
    digest = hashlib.sha256()
    generator = BASE_DIR / "initiatives/management/commands/generate_load_data.py"
    sources = [*sorted(BASE_DIR.glob("*/migrations/0*.py")), generator]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def template_for(size: str) -> str:
    """The template database of a data set, built once (migrated, generated, analysed)."""
    initiatives, per = SIZES[size]
    prefix = f"tracker_bench_{initiatives}x{per}_"
    name = prefix + schema_fingerprint()
    if database_exists(name):
        return name
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        stale = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
        ).fetchall()
    for (old,) in stale:
        admin_execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    building = f"{name}_building"
    admin_execute(f'DROP DATABASE IF EXISTS "{building}"', f'CREATE DATABASE "{building}"')
    started = time.monotonic()
    manage(building, "migrate", "--noinput")
    manage(
        building,
        "generate_load_data",
        "--initiatives",
        str(initiatives),
        "--milestones-per",
        str(per),
    )
    with psycopg.connect(database_url(building), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    # Renamed only once complete, so an interrupted build is never taken for a template.
    admin_execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    print(f"built template {name} in {time.monotonic() - started:.0f}s", flush=True)
    return name


@contextmanager
def cloned(template: str, label: str = "") -> Iterator[str]:
    """A fresh copy of a template database for one run, dropped afterwards (``label`` tells
    apart copies in use at the same time)."""
    name = f"tracker_bench_run_{os.getpid()}{label}"
    admin_execute(
        f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
    )
    try:
        yield name
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Until a server listens on 127.0.0.1:``port``; RuntimeError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Server:
    """gunicorn serving the app and the floor endpoints (bench.floor_app) on loopback."""

    database: str
    workers: int = 1
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "bench.floor_app:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--worker-class", "gthread", "--threads", "1", "--keep-alive", "30",
            "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=app_env(self.database), start_new_session=True
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


class Client:
    """One keep-alive HTTP connection to the server; each call returns its latency in seconds."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return elapsed


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    medians: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missed: int = 0

    def ratio(
        self, name: str, measured: float, floor: float, target: float, unit: str = "ms"
    ) -> None:
        """A cost against its floor: seconds (shown as ms), or any other ``unit`` as is."""
        ratio = measured / floor
        ok = ratio <= target
        self.missed += not ok
        line = f"{name}: ratio {ratio:.2f}x (target <= {target:.1f}x) {'ok' if ok else 'MISS'}"
        print(line, flush=True)
        self.lines.append(line)
        scale = 1000 if unit == "ms" else 1
        self.medians.append(
            f"  {name}: {measured * scale:.2f} {unit} vs floor {floor * scale:.2f} {unit}"
        )

    def at_least(self, name: str, measured: float, floor: float, target: float, what: str) -> None:
        ratio = measured / floor
        ok = ratio >= target
        self.missed += not ok
        line = f"{name}: ratio {ratio:.2f}x (target >= {target:.1f}x) {'ok' if ok else 'MISS'}"
        print(line, flush=True)
        self.lines.append(line)
        self.medians.append(f"  {name}: {measured:.1f} {what} vs floor {floor:.1f} {what}")

    def print_medians(self) -> None:
        print("absolute medians:")
        for line in self.medians + self.notes:
            print(line)


def median_pair(
    a: Callable[[], float], b: Callable[[], float], runs: int, warmup: int = 5
) -> tuple[float, float]:
    """Medians of ``a`` and ``b``, measured alternately so drift touches both alike."""
    for _ in range(warmup):
        a()
        b()
    first, second = [], []
    for _ in range(runs):
        first.append(a())
        second.append(b())
    return statistics.median(first), statistics.median(second)
