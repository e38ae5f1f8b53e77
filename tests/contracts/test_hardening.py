"""Production hardening: health, request ids, structured logs, sign-in and token guessing
limits, CORS and security headers."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config.celery import app as celery_app
from config.request_id import RequestIdFilter
from tests.factories import UserFactory
from tests.helpers import run_python

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_without_auth_or_detail(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_broker_is_unreachable(client: Client) -> None:
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    celery_app._pool = None
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = saved
        celery_app._pool = None
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_every_response_carries_a_request_id(client: Client) -> None:
    fresh = client.get("/healthz")["X-Request-ID"]
    assert len(fresh) == 32
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID="proxy-abc-123")["X-Request-ID"] == "proxy-abc-123"
    )
    injected = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nFAKE LOG LINE")["X-Request-ID"]
    assert "\n" not in injected


def test_log_records_carry_the_request_id(client: Client, caplog: Any) -> None:
    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.request_id)

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/api/v1/initiatives/", HTTP_X_REQUEST_ID="trace-0001-abcd")  # 401, logged
    finally:
        logger.removeHandler(handler)
    assert "trace-0001-abcd" in seen


def test_json_logs_in_production() -> None:
    code = (
        "import logging, django; django.setup(); "
        "logging.getLogger('tracker').warning('token=itk_secretsecretsecret sent')"
    )
    result = run_python(code, {"DEBUG": "true", "LOG_FORMAT": "json"})
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["levelname"] == "WARNING"
    assert record["request_id"] == "-"
    assert "itk_secretsecretsecret" not in record["message"]


def test_repeated_failed_admin_sign_ins_lock_the_account_out(client: Client, settings: Any) -> None:
    user = UserFactory(username="staff", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "staff", "password": "wrong", "next": "/admin/"})
    locked = client.post(url, {"username": "staff", "password": "correct horse battery staple"})
    assert locked.status_code == 429
    assert user.pk  # the account exists; only this address is refused for a while


def test_guessing_tokens_is_refused_after_the_limit(settings: Any) -> None:
    settings.AUTH_FAILURE_LIMIT = 3
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer itk_guess")
    statuses = [client.get("/api/v1/initiatives/").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    feed = APIClient().get("/api/v1/calendar.ics", {"token": "itc_guess"})
    assert feed.status_code == 429


def test_cors_allows_only_configured_origins(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://dashboard.example.org"]
    allowed = client.options(
        "/api/v1/initiatives/",
        HTTP_ORIGIN="https://dashboard.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://dashboard.example.org"
    assert "if-match" in allowed["Access-Control-Allow-Headers"]
    other = client.options(
        "/api/v1/initiatives/",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in other


def test_security_headers(client: Client) -> None:
    response = client.get("/healthz")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
