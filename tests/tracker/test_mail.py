"""The digest as a mail client receives it: sent by Django's stock SMTP backend to a real
SMTP server on loopback, read back from the bytes that arrived. And the date format and links
it is written with."""

from __future__ import annotations

import datetime
import email.utils
import re
from email.headerregistry import Address
from typing import Any

import pytest
from django.conf import settings
from django.core.mail import get_connection
from django.urls import reverse, set_script_prefix
from django.utils import dateformat, timezone, translation

from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory
from tests.tracker.conftest import Sink
from tracker import mail_templates
from tracker.links import milestone_admin_url, milestone_api_url
from tracker.models import Reminder
from tracker.services import (
    ClaimedReminder,
    digest_message,
    recipients_with_pending_reminders,
    reminders_plan,
    reminders_send_batch,
)

TODAY = datetime.date(2024, 6, 19)


def send_one_digest(*, initiative: str, milestone: str, recipient: str) -> None:
    MilestoneFactory(
        initiative=InitiativeFactory(title=initiative, owner_agency=AgencyFactory()),
        owner=UserFactory(email=recipient),
        title=milestone,
        due_date=TODAY,
        baseline_due_date=TODAY,
    )
    reminders_plan(today=TODAY)
    assert reminders_send_batch(recipients_with_pending_reminders(), today=TODAY).sent


def header_lines(raw: bytes) -> dict[str, str]:
    """The top-level header lines as they arrived, unfolded, by name."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers on the wire are ASCII
    unfolded = re.sub(r"\r\n[ \t]+", " ", head)
    fields = (line.split(":", 1) for line in unfolded.split("\r\n"))
    return {name: value.strip() for name, value in fields}


@pytest.mark.django_db
def test_a_digest_arrives_with_the_headers_a_mail_client_reads(sink: Sink, settings: Any) -> None:
    # given a sender with a Chinese name, and a recipient at an internationalised domain
    settings.DEFAULT_FROM_EMAIL = "交付办公室 <office@example.org>"
    # when the digest of a milestone named in Chinese goes out
    send_one_digest(
        initiative="追光行动", milestone="千兆光网试点城市名单", recipient="li.wei@bücher.example"
    )
    # then the envelope carries the bare addresses, the domain in punycode
    (raw,) = sink.raw
    assert sink.envelopes == [("office@example.org", ["li.wei@xn--bcher-kva.example"])]
    # and the headers are ASCII, the Chinese name RFC 2047-encoded
    headers = header_lines(raw)
    assert headers["MIME-Version"] == "1.0"
    assert re.fullmatch(r'multipart/alternative; boundary="[^"]+"', headers["Content-Type"])
    assert headers["Subject"] == "[Initiative Tracker] 1 due today (2024-06-19)"
    assert headers["From"].startswith("=?utf-8?")
    assert headers["To"] == "li.wei@xn--bcher-kva.example"
    assert headers["Message-ID"] == Reminder.objects.get().message_id
    assert re.fullmatch(r"<reminders-[0-9a-f]{24}@[a-z0-9.-]+>", headers["Message-ID"])
    # and dated now, in TIME_ZONE as the body speaks of days
    sent_at = email.utils.parsedate_to_datetime(headers["Date"])
    assert headers["Date"].endswith(" +0800")
    assert abs(sent_at - timezone.now()) < datetime.timedelta(minutes=1)
    # and a mail client reads the sender's name, and two parts: text, then HTML
    (message,) = sink.messages
    assert message["From"].addresses == (Address("交付办公室", addr_spec="office@example.org"),)
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "8bit"
        assert "li.wei@bücher.example" in part.get_content()
        assert "千兆光网试点城市名单" in part.get_content()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("initiative", "encoding"),
    [
        ("Light Chasing Action", "7bit"),
        ("追光行动", "8bit"),
        # The longest title of four-byte characters makes a line over RFC 5322's 998 bytes.
        ("𠮷" * 300, "quoted-printable"),
    ],
)
def test_each_part_goes_in_an_encoding_that_keeps_it_intact(
    sink: Sink, initiative: str, encoding: str
) -> None:
    send_one_digest(initiative=initiative, milestone="Pilot cities", recipient="ann@example.org")
    (message,) = sink.messages
    for part in message.iter_parts():
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == encoding
        assert initiative in part.get_content()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Shanghai", "+0800"), ("Asia/Kolkata", "+0530")]
)
def test_a_digest_is_dated_in_time_zone_as_its_body_is(
    sink: Sink, settings: Any, zone: str, offset: str
) -> None:
    settings.TIME_ZONE = zone
    send_one_digest(initiative="6G R&D", milestone="Call opens", recipient="ann@example.org")
    (raw,) = sink.raw
    assert header_lines(raw)["Date"].endswith(f" {offset}")


def test_a_subject_that_is_not_ascii_is_encoded_for_the_wire(sink: Sink) -> None:
    # given a digest whose subject is not ASCII, as a translated subject template would write it
    row = ClaimedReminder(
        id=7,
        recipient="li.wei@miit.gov.cn",
        slot="due",
        due_date=TODAY,
        level="warning",
        escalated=False,
        milestone_id=3,
        milestone_title="千兆光网试点城市名单",
        milestone_due_date=TODAY,
        milestone_status="planned",
        initiative_id=2,
        initiative_title="追光行动",
        lead_agency="MIIT",
    )
    digest = digest_message(row.recipient, [row], TODAY)
    digest.subject = "[倡议追踪] 追光行动 1 项今日到期 (2024-06-19) " + "里程碑提醒" * 10
    # when it goes out as the sender sends it
    with get_connection(timeout=5) as connection:
        assert connection.send_messages([digest]) == 1
    # then the Subject line is RFC 2047-encoded ASCII, folded, and reads back as written
    (raw,) = sink.raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert header_lines(raw)["Subject"].startswith("=?utf-8?")
    (message,) = sink.messages
    assert message["Subject"].strip() == digest.subject  # folded after "Subject:"


def test_dates_are_formatted_once_per_language() -> None:
    day = datetime.date(2026, 11, 27)
    assert mail_templates.date(day, "l j F Y") == "Friday 27 November 2026"
    hits = mail_templates._formatted_date.cache_info().hits
    assert mail_templates.date(day, "l j F Y") == "Friday 27 November 2026"
    assert mail_templates._formatted_date.cache_info().hits == hits + 1
    with translation.override("zh-hans"):
        chinese = mail_templates.date(day, "l j F Y")
        assert chinese == dateformat.format(day, "l j F Y")
    assert chinese != "Friday 27 November 2026"
    assert mail_templates.date(day, "l j F Y") == "Friday 27 November 2026"


def test_date_times_are_formatted_every_time_in_the_current_zone() -> None:
    moment = datetime.datetime(2026, 11, 27, 23, 30, tzinfo=datetime.UTC)
    assert mail_templates.date(moment, "j F Y H:i") == dateformat.format(moment, "j F Y H:i")


@pytest.mark.parametrize("milestone_id", [1, 42, 9081726354, 10**12])
def test_milestone_links_are_what_reverse_gives(milestone_id: int) -> None:
    admin = reverse("admin:initiatives_milestone_change", args=[milestone_id])
    api = reverse("api:milestone-detail", args=[milestone_id])
    assert milestone_admin_url(milestone_id) == settings.SITE_URL + admin
    assert milestone_api_url(milestone_id) == settings.SITE_URL + api


def test_milestone_links_follow_the_script_prefix() -> None:
    before = milestone_admin_url(7)
    set_script_prefix("/tracker/")
    try:
        prefixed = milestone_admin_url(7)
        expected = settings.SITE_URL + reverse("admin:initiatives_milestone_change", args=[7])
    finally:
        set_script_prefix("/")
    assert prefixed == expected
    assert "/tracker/admin/" in prefixed
    assert milestone_admin_url(7) == before
