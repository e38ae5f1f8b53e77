"""Illustrative deadlines: labelled, relative to today, added once, never in production."""

from __future__ import annotations

import datetime
import email
import email.policy
from io import StringIO
from pathlib import Path
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


def test_the_demo_sends_reminders_to_the_demo_user_and_says_what_reaches_nobody(
    settings: Any, time_machine: Any, tmp_path: Path
) -> None:
    # given the stack `make run` sets up, on a working day: seed, demo superuser, mail in files
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    time_machine.move_to(datetime.datetime(2024, 6, 19, 2, 0, tzinfo=datetime.UTC))
    call_command("load_seed", verbosity=0)
    call_command("create_demo_superuser", stdout=StringIO())
    # when the README's demo runs
    run("--owner", "demo")
    out = StringIO()
    call_command("send_reminders", stdout=out)
    # then the demo user's digest is written under the mail folder
    report = out.getvalue()
    assert "sent digest to demo@localhost" in report, report
    (mail_file,) = (tmp_path / "mail").iterdir()
    digest = email.message_from_bytes(mail_file.read_bytes(), policy=email.policy.default)
    assert digest["To"] == "demo@localhost"
    text = digest.get_body(("plain",))
    assert text is not None
    assert "[Illustrative] Draft plan circulated for comment" in text.get_content()
    # and the escalation of the long-overdue one, which no MIIT manager receives, is reported
    assert "reaches nobody, overdue (overdue-2): [Illustrative] Action plan published" in report
    assert "The escalation reaches nobody: MIIT has no active manager" in report
