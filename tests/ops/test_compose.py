"""docker-compose.yml is for users (no Docker engine runs here), so it is checked against the
code: every command runs something that exists, and every environment loads as settings."""

from __future__ import annotations

import re
import secrets
import shlex
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from django.core.management import get_commands

from tests.helpers import BASE_DIR, settings_under

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = {name: s for name, s in SERVICES.items() if "build" in s}


def documented_variables() -> set[str]:
    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))


def resolved(value: str) -> str:
    """Compose's ${NAME:-default} and ${NAME:?error} forms as a user with no overrides gets them."""
    value = re.sub(r"\$\{SECRET_KEY:\?[^}]*\}", secrets.token_urlsafe(50), value)
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def service_at(url: str) -> tuple[Any, dict[str, Any]]:
    """The parts of a URL and the compose service its host names."""
    parts = urlsplit(url)
    assert parts.hostname in SERVICES, f"{url} names no service of the stack"
    return parts, SERVICES[parts.hostname]


def app_env(service: str) -> dict[str, str]:
    return {
        key: resolved(str(value)) for key, value in APP_SERVICES[service]["environment"].items()
    }


def test_stack_has_every_part() -> None:
    assert {"db", "redis", "mailpit", "migrate", "web", "worker", "beat"} <= set(SERVICES)
    assert set(APP_SERVICES) == {"migrate", "web", "worker", "beat"}


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_environment_uses_only_documented_variables(service: str) -> None:
    assert set(app_env(service)) <= documented_variables()


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_environment_points_at_the_stacks_own_services(service: str) -> None:
    env = app_env(service)
    db, db_service = service_at(env["DATABASE_URL"])
    postgres = db_service["environment"]
    assert db_service["image"].startswith("postgres")
    assert (db.username, db.password, db.path.lstrip("/")) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    broker, broker_service = service_at(env["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert broker_service["image"].startswith("redis")
    cache, cache_service = service_at(env["CACHE_URL"])
    assert cache.scheme == "rediscache"
    assert cache_service["image"].startswith("redis")
    mail, mail_service = service_at(env["EMAIL_URL"])
    assert mail.scheme == "smtp"
    assert mail_service["image"].startswith("axllent/mailpit")
    assert mail.port == 1025  # Mailpit's SMTP port
    assert env["DEBUG"] == "false"
    assert ":?" in APP_SERVICES[service]["environment"]["SECRET_KEY"], "no default secret"


def test_app_environment_loads_as_production_settings() -> None:
    settings = settings_under(
        app_env("web"), "DATABASES", "CELERY_BROKER_URL", "EMAIL_BACKEND", "DEBUG"
    )
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings["DATABASES"]["default"]["HOST"] == "db"
    assert settings["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["DEBUG"] is False


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return shlex.split(value) if isinstance(value, str) else list(value)


def test_web_serves_the_wsgi_app_with_gunicorn_settings_on_the_published_port() -> None:
    argv = command("web")
    assert argv[:2] == ["gunicorn", "config.wsgi:application"]
    config_module = argv[argv.index("--config") + 1]
    assert config_module == "python:config.gunicorn"
    from config import gunicorn, wsgi

    assert callable(wsgi.application)
    port = gunicorn.bind.rsplit(":", 1)[1]
    assert f"{port}:{port}" in SERVICES["web"]["ports"]


@pytest.mark.parametrize(("service", "role"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_run_the_project_app(service: str, role: str) -> None:
    argv = command(service)
    assert argv[:4] == ["celery", "-A", "config", role]
    import config

    assert isinstance(config.celery_app, Celery)


def test_the_worker_runs_as_many_processes_as_the_setting_says() -> None:
    # No --concurrency on the command line, which would override CELERY_WORKER_CONCURRENCY.
    assert not any(arg.startswith(("--concurrency", "-c")) for arg in command("worker"))
    from django.conf import settings

    import config

    assert config.celery_app.conf.worker_concurrency == settings.CELERY_WORKER_CONCURRENCY


def test_migrate_runs_existing_commands() -> None:
    argv = command("migrate")
    script = argv[-1]
    used = re.findall(r"manage\.py (\w+)", script)
    assert used == ["migrate", "load_seed"]
    assert set(used) <= set(get_commands())


def test_dockerfile_default_command_matches_the_web_service() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert cmd is not None
    assert yaml.safe_load(cmd.group(1)) == command("web")
