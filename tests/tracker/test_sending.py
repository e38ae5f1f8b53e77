"""Sending digests to a real SMTP server on loopback: one per recipient, each reminder once,
failures retried, closed milestones skipped."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from initiatives import services as domain
from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.tracker.conftest import Sink, SmtpServer, body
from tracker.models import Reminder
from tracker.services import (
    recipients_with_pending_reminders,
    reminder_send_now,
    reminders_plan,
    reminders_send_batch,
)

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2024, 6, 19)


@pytest.fixture
def people() -> dict[str, Any]:
    return {
        "ann": UserFactory(username="ann", email="ann@example.org"),
        "bob": UserFactory(username="bob", email="bob@example.org"),
    }


def milestone(owner: Any, due: datetime.date, title: str, initiative: Any = None) -> Any:
    return MilestoneFactory(
        initiative=initiative or InitiativeFactory(owner_agency=AgencyFactory()),
        owner=owner,
        due_date=due,
        baseline_due_date=due,
        title=title,
    )


def send_all() -> Any:
    return reminders_send_batch(recipients_with_pending_reminders(), today=TODAY)


def test_one_digest_per_recipient_grouped_by_initiative(sink: Sink, people: dict[str, Any]) -> None:
    # given two of Ann's milestones on one initiative, one on another, and one of Bob's
    programme = InitiativeFactory(title="Light Chasing Action", owner_agency=AgencyFactory())
    milestone(people["ann"], D(2024, 6, 18), "Pilot cities chosen", programme)
    milestone(people["ann"], D(2024, 6, 26), "Standards drafted", programme)
    milestone(people["ann"], TODAY, "6G call opens")
    milestone(people["bob"], D(2024, 7, 3), "Cluster list")
    reminders_plan(today=TODAY)
    # when
    outcome = send_all()
    # then
    assert sorted(outcome.sent) == ["ann@example.org", "bob@example.org"]
    assert len(sink.messages) == 2
    (ann,) = sink.to("ann@example.org")
    assert "1 overdue, 1 due today, 1 coming up" in ann["Subject"]
    text = body(ann)
    html = body(ann, "html")
    assert text.index("Light Chasing Action") < text.index("Pilot cities chosen")
    assert text.index("Pilot cities chosen") < text.index("Standards drafted")
    assert "1 day overdue" in text
    assert "in 7 days" in text
    assert "/admin/initiatives/milestone/" in text
    assert "/api/v1/milestones/" in text
    assert "Light Chasing Action" in html
    assert "Cluster list" in body(sink.to("bob@example.org")[0])
    rows = Reminder.objects.filter(recipient="ann@example.org")
    assert {row.status for row in rows} == {"sent"}
    assert {row.message_id for row in rows} == {ann["Message-ID"]}


def test_a_batch_sends_over_one_connection(sink: Sink, people: dict[str, Any]) -> None:
    # given reminders for three people
    carol = UserFactory(username="carol", email="carol@example.org")
    for owner in (people["ann"], people["bob"], carol):
        milestone(owner, TODAY, f"{owner.username}'s milestone")
    reminders_plan(today=TODAY)
    # when their digests go out in one batch
    outcome = send_all()
    # then three messages went over a single SMTP connection
    assert len(outcome.sent) == len(sink.messages) == 3
    assert len(sink.peers) == 1


def test_sending_again_sends_nothing(sink: Sink, people: dict[str, Any]) -> None:
    milestone(people["ann"], TODAY, "Due today")
    reminders_plan(today=TODAY)
    send_all()
    reminders_plan(today=TODAY)
    outcome = send_all()
    assert outcome.sent == []
    assert len(sink.messages) == 1


def test_a_milestone_done_by_sending_time_is_skipped(sink: Sink, people: dict[str, Any]) -> None:
    row = milestone(people["ann"], TODAY, "Done in time")
    reminders_plan(today=TODAY)
    domain.milestone_complete(milestone=row, actor=None)
    outcome = send_all()
    assert (outcome.sent, outcome.skipped) == ([], 1)
    assert sink.messages == []
    assert Reminder.objects.get().status == "skipped"


def test_a_milestone_moved_by_sending_time_is_skipped(sink: Sink, people: dict[str, Any]) -> None:
    row = milestone(people["ann"], TODAY, "Moved in time")
    reminders_plan(today=TODAY)
    domain.milestone_move_due_date(
        milestone=row, due_date=D(2024, 7, 1), reason="Waiting for the budget", actor=None
    )
    outcome = send_all()
    assert (outcome.sent, outcome.skipped) == ([], 1)
    assert sink.messages == []
    assert Reminder.objects.get().status == Reminder.Status.SKIPPED


def test_smtp_refusing_then_accepting_delivers_exactly_once(
    sink: Sink, people: dict[str, Any]
) -> None:
    # given a server that answers 451 to the first two attempts
    milestone(people["ann"], TODAY, "Due today")
    reminders_plan(today=TODAY)
    sink.refuse = 2
    # when the sender tries three times
    outcomes = [send_all() for _ in range(3)]
    # then the first two are recorded as failures, the third delivers, once
    assert [o.failed for o in outcomes] == [["ann@example.org"], ["ann@example.org"], []]
    assert len(sink.messages) == 1
    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")


def test_smtp_down_leaves_reminders_pending_then_they_go(
    smtp: SmtpServer, people: dict[str, Any]
) -> None:
    milestone(people["ann"], TODAY, "Due today")
    reminders_plan(today=TODAY)
    smtp.stop()
    assert send_all().failed == ["ann@example.org"]
    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.claimed_until) == ("pending", 1, None)
    assert row.last_error.startswith("ConnectionRefusedError")
    smtp.start()
    assert send_all().sent == ["ann@example.org"]
    assert len(smtp.sink.messages) == 1


def test_giving_up_after_the_last_attempt(
    sink: Sink, people: dict[str, Any], settings: Any
) -> None:
    settings.REMINDER_MAX_ATTEMPTS = 2
    milestone(people["ann"], TODAY, "Due today")
    reminders_plan(today=TODAY)
    sink.refuse = 5
    send_all()
    send_all()
    assert Reminder.objects.get().status == "failed"
    assert send_all().sent == []  # failed rows wait for a person to retry them


def test_message_id_is_stable_for_the_same_reminders(sink: Sink, people: dict[str, Any]) -> None:
    milestone(people["ann"], TODAY, "Due today")
    reminders_plan(today=TODAY)
    sink.refuse = 1
    send_all()
    send_all()
    (message,) = sink.messages
    assert message["Message-ID"] == Reminder.objects.get().message_id


def test_send_now_goes_through_the_ledger_once_a_day(sink: Sink, people: dict[str, Any]) -> None:
    row = milestone(people["ann"], D(2024, 8, 1), "Far away")
    assert reminder_send_now(milestone=row, today=TODAY).queued == 1
    assert reminder_send_now(milestone=row, today=TODAY).queued == 0
    send_all()
    assert len(sink.messages) == 1
    assert Reminder.objects.get().slot == "manual-20240619"


def test_send_reminders_command_runs_in_process(sink: Sink, people: dict[str, Any]) -> None:
    milestone(people["ann"], TODAY, "Due today")
    dry = StringIO()
    call_command("send_reminders", "--dry-run", "--today", "2024-06-19", stdout=dry)
    assert "would plan warning (due) to ann@example.org" in dry.getvalue()
    assert not Reminder.objects.exists()
    assert sink.messages == []
    out = StringIO()
    call_command("send_reminders", "--today", "2024-06-19", stdout=out)
    assert "sent digest to ann@example.org" in out.getvalue()
    assert "1 planned, 1 digests sent" in out.getvalue()
    assert len(sink.messages) == 1


def test_send_reminders_says_which_reminders_reach_nobody_and_why(sink: Sink) -> None:
    # given a milestone due today that nobody can be reminded of
    MilestoneFactory(
        initiative=InitiativeFactory(
            owner_agency=AgencyFactory(short_name="NDRC", contact_email="")
        ),
        title="Pilot zones named",
        due_date=TODAY,
        baseline_due_date=TODAY,
    )
    why = "No recipient: it has no owner, NDRC has no active editor or manager"
    # when the sweep runs by hand, as a dry run and then for real
    dry = StringIO()
    call_command("send_reminders", "--dry-run", "--today", "2024-06-19", stdout=dry)
    out = StringIO()
    call_command("send_reminders", "--today", "2024-06-19", stdout=out)
    # then both say which milestone and why, and nothing is sent
    for report in (dry.getvalue(), out.getvalue()):
        assert "reaches nobody, warning (due): Pilot zones named — due 2024-06-19." in report
        assert why in report
        assert "1 reach nobody." in report
    assert "0 planned, 0 digests sent" in out.getvalue()
    assert sink.messages == []


def test_send_reminders_says_when_today_is_no_working_day(sink: Sink) -> None:
    out = StringIO()
    call_command("send_reminders", "--today", "2024-06-22", stdout=out)  # a Saturday
    assert "2024-06-22 is not a working day" in out.getvalue()


def test_titles_are_written_as_given_in_text_and_escaped_in_html(
    sink: Sink, people: dict[str, Any]
) -> None:
    # given a milestone whose title has characters HTML escapes
    milestone(people["ann"], TODAY, "6G R&D <pilot> call")
    reminders_plan(today=TODAY)
    # when
    send_all()
    # then the plain-text part carries the title as written, the HTML part escaped
    (ann,) = sink.to("ann@example.org")
    assert "6G R&D <pilot> call" in body(ann)
    assert "R&amp;D" not in body(ann)
    assert "6G R&amp;D &lt;pilot&gt; call" in body(ann, "html")
    assert "<pilot>" not in body(ann, "html")


def test_a_digest_in_chinese_goes_out_with_a_plain_ascii_subject(
    sink: Sink, people: dict[str, Any]
) -> None:
    # given a milestone of an initiative named in Chinese
    programme = InitiativeFactory(title="追光行动", owner_agency=AgencyFactory())
    milestone(people["ann"], TODAY, "千兆光网试点城市名单", programme)
    reminders_plan(today=TODAY)
    # when
    send_all()
    # then the titles arrive as written, and the subject needed no RFC 2047 encoding
    (ann,) = sink.to("ann@example.org")
    assert "追光行动" in body(ann)
    assert "千兆光网试点城市名单" in body(ann, "html")
    (raw,) = sink.raw
    assert b"\r\nSubject: [Initiative Tracker] 1 due today (2024-06-19)\r\n" in raw


def test_the_digest_reads_in_full(sink: Sink, people: dict[str, Any], settings: Any) -> None:
    # given an overdue, escalated milestone and one due in a week, on an initiative whose
    # title HTML must escape
    lead = AgencyFactory(short_name="MIIT")
    programme = InitiativeFactory(title="6G R&D <pilot>", owner_agency=lead)
    late = milestone(people["ann"], D(2024, 6, 5), "Test bed built", programme)
    soon = milestone(people["ann"], D(2024, 6, 26), "Call for proposals", programme)
    for row, slot, level, escalated in [
        (soon, "lead-7", "notice", False),
        (late, "overdue-2", "overdue", True),
    ]:
        Reminder.objects.create(
            milestone=row,
            recipient="ann@example.org",
            slot=slot,
            due_date=row.due_date,
            level=level,
            escalated=escalated,
            planned_on=TODAY,
        )
    # when
    send_all()
    # then the overdue line comes first, and the text part is as written
    (ann,) = sink.messages
    site = settings.SITE_URL
    assert ann["Subject"] == "[Initiative Tracker] 1 overdue, 1 coming up (2024-06-19)"
    assert body(ann).replace("\r\n", "\n") == (  # lines end in CRLF on the wire
        "Deadline reminders for ann@example.org, Wednesday 19 June 2024\n"
        "\n"
        "6G R&D <pilot> (lead: MIIT)\n"
        "  - [Overdue] Test bed built\n"
        "    due 2024-06-05, 14 days overdue (escalated)\n"
        f"    {site}/admin/initiatives/milestone/{late.pk}/change/\n"
        f"    {site}/api/v1/milestones/{late.pk}/\n"
        "  - [Notice (before the deadline)] Call for proposals\n"
        "    due 2024-06-26, in 7 days\n"
        f"    {site}/admin/initiatives/milestone/{soon.pk}/change/\n"
        f"    {site}/api/v1/milestones/{soon.pk}/\n"
        "\n"
        "You receive this because you own these milestones or edit for their lead agency.\n"
        f"{site}\n"
    )
    html = body(ann, "html")
    assert "<p>Deadline reminders for ann@example.org, Wednesday 19 June 2024</p>" in html
    assert "6G R&amp;D &lt;pilot&gt; <small" in html
    assert "lead: MIIT</small>" in html
    assert 'background: #c62828;">Overdue</span>' in html
    assert 'background: #2e7d32;">Notice (before the deadline)</span>' in html
    admin = f"{site}/admin/initiatives/milestone/{late.pk}/change/"
    assert f'<a href="{admin}">Test bed built</a> <strong>(escalated)</strong>' in html
    assert f'<a href="{site}/api/v1/milestones/{soon.pk}/">API</a>' in html
    assert "<td>due 2024-06-26</td>" in html
    assert "<td>14 days overdue</td>" in html
    assert html.index("Test bed built") < html.index("Call for proposals")
