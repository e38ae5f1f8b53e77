"""The ledger in the admin, the milestone admin's "send reminder now", and the beat schedule."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config import celery_app
from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tracker.models import Reminder
from tracker.services import reminders_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client: Client) -> Client:
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def reminder(**fields: Any) -> Reminder:
    milestone = MilestoneFactory()
    defaults = {
        "milestone": milestone,
        "recipient": "ann@example.org",
        "slot": "due",
        "due_date": milestone.due_date,
        "level": "warning",
        "planned_on": datetime.date(2024, 6, 19),
    }
    return Reminder.objects.create(**(defaults | fields))


def test_ledger_is_listed_searchable_and_read_only(root: Client) -> None:
    row = reminder(status="failed", attempts=8, last_error="SMTPServerDisconnected")
    page = root.get(reverse("admin:tracker_reminder_changelist"), {"q": "ann@example"})
    assert page.status_code == 200
    assert "ann@example.org" in page.content.decode()
    change = root.get(reverse("admin:tracker_reminder_change", args=[row.pk]))
    assert "SMTPServerDisconnected" in change.content.decode()
    assert root.post(reverse("admin:tracker_reminder_change", args=[row.pk]), {}).status_code == 403


def test_ledger_list_says_how_each_send_went(root: Client) -> None:
    # given rows sent at once, retrying, given up on
    reminder(recipient="sent@example.org", status="sent", attempts=1, sent_at=timezone.now())
    reminder(recipient="retry@example.org", status="pending", attempts=1)
    reminder(recipient="gave-up@example.org", status="failed", attempts=8, level="overdue")
    # when
    html = root.get(reverse("admin:tracker_reminder_changelist")).content.decode()
    # then the status column counts the attempts where a send has failed, and the level reads short
    statuses = re.findall(r'<td class="field-status_label">(.*?)</td>', html)
    assert sorted(statuses) == ["Failed (8 attempts)", "Pending (1 attempt)", "Sent"]
    levels = re.findall(r'<td class="field-level_label">(.*?)</td>', html)
    assert sorted(levels) == ["Overdue", "Warning", "Warning"]


def test_retry_failed_puts_rows_back_in_the_outbox(root: Client) -> None:
    failed, sent = (
        reminder(status="failed", attempts=8),
        reminder(recipient="bob@example.org", status="sent", sent_at="2024-06-19T01:00Z"),
    )
    root.post(
        reverse("admin:tracker_reminder_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]},
    )
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert sent.status == "sent"


def test_staff_without_superuser_do_not_see_the_ledger(client: Client) -> None:
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(reverse("admin:tracker_reminder_changelist")).status_code == 403


def test_send_reminder_now_from_the_milestone_admin(root: Client) -> None:
    owner = UserFactory(email="owner@example.org")
    milestone = MilestoneFactory(owner=owner)
    for _ in range(2):
        root.post(
            reverse("admin:initiatives_milestone_changelist"),
            {"action": "send_reminder_now", "_selected_action": [milestone.pk]},
        )
    (row,) = Reminder.objects.all()
    assert (row.recipient, row.slot.startswith("manual-")) == ("owner@example.org", True)


def milestone_nobody_is_reminded_of(title: str, due: datetime.date) -> Any:
    return MilestoneFactory(
        initiative=InitiativeFactory(
            owner_agency=AgencyFactory(short_name="NDRC", contact_email="")
        ),
        title=title,
        due_date=due,
        baseline_due_date=due,
    )


def test_the_ledger_shows_staff_the_reminders_that_reach_nobody(root: Client) -> None:
    # given a sweep that found nobody to remind of a milestone due today
    today = datetime.date(2024, 6, 19)
    milestone_nobody_is_reminded_of("Pilot zones named", today)
    reminders_plan(today=today)
    # when staff open the ledger, it says so and leads to them
    ledger = reverse("admin:tracker_reminder_changelist")
    page = root.get(ledger).content.decode()
    assert "1 reminders of open milestones reach nobody" in page
    assert '<a href="?status__exact=unreached">' in page
    # then the filtered list names the milestone and why
    listed = root.get(ledger, {"status__exact": "unreached"}).content.decode()
    assert "Pilot zones named" in listed
    assert "No recipient: it has no owner, NDRC has no active editor or manager" in listed


def test_send_reminder_now_says_when_it_reaches_nobody(root: Client) -> None:
    milestone = milestone_nobody_is_reminded_of("Pilot zones named", datetime.date(2030, 1, 1))
    response = root.post(
        reverse("admin:initiatives_milestone_changelist"),
        {"action": "send_reminder_now", "_selected_action": [milestone.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "0 reminders queued." in page
    assert "Pilot zones named: it reaches nobody. No recipient: it has no owner" in page
    assert Reminder.objects.get().status == "unreached"


def test_beat_runs_the_sweep_daily_at_the_send_hour_and_dispatches_often() -> None:
    schedule = celery_app.conf.beat_schedule
    sweep = schedule["sweep-reminders"]
    assert sweep["task"] == "tracker.sweep_reminders"
    assert sweep["schedule"] == crontab(hour=settings.REMINDER_SEND_HOUR, minute=0)
    assert celery_app.conf.timezone == settings.TIME_ZONE
    assert schedule["dispatch-reminders"]["schedule"] <= 15 * 60
    assert {
        "tracker.sweep_reminders",
        "tracker.dispatch_reminders",
        "tracker.send_reminder_batch",
    } <= set(celery_app.tasks)
