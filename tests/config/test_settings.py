"""The environment switches each part; without a real SECRET_KEY production refuses to start.

Each case runs the settings in a fresh interpreter with exactly the environment given, as a
deployment would, instead of patching the already-loaded settings of the test run.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR, run_python, settings_under

REAL_KEY = secrets.token_urlsafe(50)


def test_embedded_defaults_need_no_external_service(tmp_path: Path) -> None:
    s = settings_under(
        {"DEBUG": "true", "VAR_DIR": str(tmp_path)},
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
        "EMAIL_BACKEND",
        "EMAIL_FILE_PATH",
        "TIME_ZONE",
        "API_PUBLIC_READ",
        "CELERY_BEAT_SCHEDULE_FILENAME",
    )
    database = s["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] >= 5
    assert s["CELERY_BROKER_URL"] == "filesystem://"
    options = s["CELERY_BROKER_TRANSPORT_OPTIONS"]
    # web and worker must read and write the same queue folder
    assert options["data_folder_in"] == options["data_folder_out"]
    assert options["data_folder_in"].startswith(str(tmp_path))
    assert options["control_folder"].startswith(str(tmp_path))
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert s["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert s["CELERY_BEAT_SCHEDULE_FILENAME"] == str(tmp_path / "celerybeat-schedule")
    assert s["TIME_ZONE"] == "Asia/Shanghai"
    assert s["API_PUBLIC_READ"] is False


def test_sqlite_really_runs_in_wal_mode(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    result = run_python(code, {"DEBUG": "true", "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]


def test_environment_switches_each_part() -> None:
    s = settings_under(
        {
            "SECRET_KEY": REAL_KEY,
            "DATABASE_URL": "postgres://tracker:pw@db.internal:5433/tracker",
            "CELERY_BROKER_URL": "redis://redis.internal:6379/2",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.internal:587",
            "ALLOWED_HOSTS": "tracker.example.org,api.example.org",
            "TIME_ZONE": "Europe/London",
            "SITE_URL": "https://tracker.example.org/",
            "DEFAULT_FROM_EMAIL": "Delivery Office <delivery@example.org>",
            "API_PUBLIC_READ": "true",
        },
        "DATABASES",
        "CELERY_BROKER_URL",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_USE_TLS",
        "ALLOWED_HOSTS",
        "TIME_ZONE",
        "SITE_URL",
        "DEFAULT_FROM_EMAIL",
        "API_PUBLIC_READ",
        "SECRET_KEY",
        "DEBUG",
        "CSRF_TRUSTED_ORIGINS",
    )
    database = s["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5433,
        "tracker",
    )
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert s["CELERY_BROKER_URL"] == "redis://redis.internal:6379/2"
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_HOST_USER"]) == (
        "smtp.internal",
        587,
        "mailer",
    )
    assert s["EMAIL_USE_TLS"] is True
    assert s["ALLOWED_HOSTS"] == ["tracker.example.org", "api.example.org"]
    assert s["TIME_ZONE"] == "Europe/London"
    assert s["SITE_URL"] == "https://tracker.example.org"
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://tracker.example.org"]
    assert s["DEFAULT_FROM_EMAIL"] == "Delivery Office <delivery@example.org>"
    assert s["API_PUBLIC_READ"] is True
    assert s["SECRET_KEY"] == REAL_KEY
    assert s["DEBUG"] is False


def test_prepared_statements_can_be_turned_off_for_a_pooler() -> None:
    s = settings_under(
        {"DEBUG": "true", "DATABASE_URL": "postgres://t@db/t", "DB_PREPARE_THRESHOLD": ""},
        "DATABASES",
    )
    assert s["DATABASES"]["default"]["OPTIONS"]["prepare_threshold"] is None
    result = run_python(
        "import django; django.setup()",
        {"DEBUG": "true", "DATABASE_URL": "postgres://t@db/t", "DB_PREPARE_THRESHOLD": "five"},
    )
    assert result.returncode != 0
    assert "DB_PREPARE_THRESHOLD must be a whole number" in result.stderr


def test_celery_workers_run_two_processes_per_core_unless_told_otherwise() -> None:
    default = settings_under({"DEBUG": "true"}, "CELERY_WORKER_CONCURRENCY")
    assert default["CELERY_WORKER_CONCURRENCY"] == 2 * (os.cpu_count() or 1)
    told = settings_under(
        {"DEBUG": "true", "CELERY_WORKER_CONCURRENCY": "7"}, "CELERY_WORKER_CONCURRENCY"
    )
    assert told["CELERY_WORKER_CONCURRENCY"] == 7


def test_filemail_url_is_anchored_at_the_project() -> None:
    s = settings_under({"DEBUG": "true", "EMAIL_URL": "filemail:///var/outbox"}, "EMAIL_FILE_PATH")
    assert s["EMAIL_FILE_PATH"] == str(BASE_DIR / "var" / "outbox")


@pytest.mark.parametrize(
    "key",
    [None, "", "short", "django-insecure-" + "x" * 60],
    ids=["unset", "empty", "short", "insecure"],
)
def test_refuses_to_start_without_a_real_secret_key_when_debug_is_off(key: str | None) -> None:
    env = {"DEBUG": "false"} | ({} if key is None else {"SECRET_KEY": key})
    result = run_python("", env, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr
    # and a developer learns what a development stack needs instead
    assert "On a development stack" in result.stderr
    assert "DEBUG=true .venv/bin/python manage.py" in result.stderr


def test_debug_runs_without_a_secret_key() -> None:
    result = run_python("", {"DEBUG": "true"}, "manage.py", "check")
    assert result.returncode == 0, result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": REAL_KEY,
    "ALLOWED_HOSTS": "tracker.example.org",
    "SITE_URL": "https://tracker.example.org",
}


def test_production_https_settings_pass_check_deploy_with_no_warnings() -> None:
    result = run_python(
        "",
        PRODUCTION | {"SECURE_HTTPS": "true"},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_https_settings_are_off() -> None:
    result = run_python("", PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT


def _names_in_table(readme: str) -> set[str]:
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))


def test_every_variable_is_documented_and_listed() -> None:
    read_by_settings = set(
        re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (BASE_DIR / "config/settings.py").read_text())
    )
    read_by_run = set(re.findall(r"\$\{([A-Z_]+):-", (BASE_DIR / "scripts/run").read_text()))
    read_by_os = {
        name
        for path in (
            "config/gunicorn.py",
            "tests/conftest.py",
            "tests/contracts/test_fuzz.py",
            "bench/common.py",
        )
        for name in re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', (BASE_DIR / path).read_text())
    }
    # The shell's own variables are passed through, not configuration.
    expected = (read_by_settings | read_by_run | read_by_os) - {"PWD", "HOME", "PATH"}
    documented = _names_in_table((BASE_DIR / "README.md").read_text())
    example = set(
        re.findall(r"^#? ?([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), flags=re.MULTILINE)
    )
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG"} <= expected
    assert documented == expected
    assert example == expected


def test_a_web_worker_loads_its_urls_and_views_when_it_starts(tmp_path: Path) -> None:
    # gunicorn loads config.wsgi in each worker before it accepts a connection; the URLconf
    # would otherwise be imported, and its patterns compiled, inside the first request.
    code = (
        "import sys; import config.wsgi; from django.conf import settings; "
        "from django.urls import get_resolver; "
        "print(settings.ROOT_URLCONF in sys.modules, 'initiatives.api.views' in sys.modules, "
        "get_resolver()._populated)"
    )
    result = run_python(code, {"DEBUG": "true", "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]
