"""Shared fixtures: real services when reachable, and a hard failure when CI requires them."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(reason: str) -> None:
    """Skip a test whose service is not here, unless the run requires every service (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _required_database() -> None:
    # Constraint, locking and concurrency tests prove nothing on SQLite: CI must run on PostgreSQL.
    if REQUIRE_SERVICES and connection.vendor != "postgresql":
        pytest.fail("REQUIRE_SERVICES=1 needs DATABASE_URL to point at PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Throttle counts live in the cache; one test's requests must not throttle the next's.
    cache.clear()


@pytest.fixture
def postgres(db: None) -> None:
    """For tests whose property only PostgreSQL has (row locks, concurrent transactions)."""
    if connection.vendor != "postgresql":
        service_missing("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a Redis server that answers, for broker tests."""
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                service_missing(f"Redis at {REDIS_URL} did not answer PING")
    except OSError as error:
        service_missing(f"Redis at {REDIS_URL} is not reachable ({error})")
    return REDIS_URL


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        service_missing("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # synchronous and safe, so Django's guard against ORM calls in async code stands down.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
