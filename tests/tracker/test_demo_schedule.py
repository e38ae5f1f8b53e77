"""Illustrative deadlines: labelled, relative to today, added once, never in production."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from initiatives.models import Milestone

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_schedule", *args, stdout=out)
    return out.getvalue()


def test_adds_labelled_deadlines_around_today_once(settings: Any, time_machine: Any) -> None:
    # given the seed on a development stack
    settings.DEBUG = True
    time_machine.move_to(datetime.datetime(2030, 5, 10, 4, 0, tzinfo=datetime.UTC))
    call_command("loaddata", "seed", verbosity=0)
    # when
    assert "Added 8" in run()
    # then every milestone says it is illustrative and spans overdue to later
    milestones = list(Milestone.objects.all())
    assert all(m.title.startswith("[Illustrative]") for m in milestones)
    assert all("not from any source" in m.description for m in milestones)
    due_statuses = {m.due_status for m in milestones}
    assert {"overdue", "due_soon", "upcoming", "no_date"} <= due_statuses
    light = Milestone.objects.get(initiative__slug="light-chasing-action")
    assert light.due_date == datetime.date(2030, 4, 20)
    assert light.baseline_due_date == light.due_date
    # and a second run adds nothing
    assert "nothing added" in run()
    assert Milestone.objects.count() == 8


def test_refused_outside_development(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError):
        run()
    assert not Milestone.objects.exists()
