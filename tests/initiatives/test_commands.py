"""The set-up commands that `make run` calls."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from initiatives.models import Agency, Initiative

pytestmark = pytest.mark.django_db


def run(name: str) -> str:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_load_seed_fills_an_empty_database() -> None:
    assert "Loaded the seed data set" in run("load_seed")
    assert Initiative.objects.filter(slug="light-chasing-action").exists()


def test_load_seed_never_overwrites_what_staff_changed() -> None:
    # given the seed, then a change by staff
    run("load_seed")
    Initiative.objects.filter(slug="light-chasing-action").update(title="Renamed by staff")
    # when the stack starts again
    assert "not loaded again" in run("load_seed")
    # then the change stands
    assert Initiative.objects.get(slug="light-chasing-action").title == "Renamed by staff"


def test_load_seed_leaves_a_database_with_other_data_alone() -> None:
    Agency.objects.create(name="Local bureau", short_name="LB", slug="lb")
    run("load_seed")
    assert not Initiative.objects.exists()


def test_demo_superuser_is_created_once(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    first = run("create_demo_superuser")
    password = (tmp_path / "demo-login.txt").read_text().split("password: ")[1].strip()
    assert password in first
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser
    assert user.check_password(password)
    assert user.email == "demo@localhost"  # so that reminders reach it
    assert "exists" in run("create_demo_superuser")
    assert get_user_model().objects.count() == 1


def test_demo_superuser_is_refused_outside_development(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="development"):
        run("create_demo_superuser")
    assert not get_user_model().objects.exists()
