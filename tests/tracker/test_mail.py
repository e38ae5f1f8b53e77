"""The digest's email, date format and links: cheaper to build, and the same as before."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
from email.header import Header
from typing import Any

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse, set_script_prefix
from django.utils import dateformat, translation

from tracker import mail_templates
from tracker.links import milestone_admin_url, milestone_api_url
from tracker.mail import FOLDING_POLICY, DigestEmail, _folded_binary

SUBJECTS = [
    "[Initiative Tracker] 1 overdue, 2 due today (2024-06-19)",
    "A subject long enough to be folded: " + "word " * 30,
    "光纤网络「追光行动」里程碑提醒 — 6G 研发",
    "x" * 120,  # no space to fold at
]


def flattened(message: Any, policy: Any) -> bytes:
    message.policy = policy
    return bytes(message.as_bytes(linesep="\r\n"))


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_folding_cache_writes_what_compat32_writes(subject: str) -> None:
    # given a Django message with plain, long, non-ASCII and Header-object header lines
    django_message = EmailMultiAlternatives(
        subject=subject,
        body="Plain text 正文\n",
        from_email="Delivery Office 交付办公室 <office@example.org>",
        to=["ann@example.org"],
        headers={"Message-ID": "<m1@example.org>", "X-Note": "y " * 60},
    )
    django_message.attach_alternative("<p>HTML 正文</p>", "text/html")
    message = django_message.message()
    message["X-Encoded"] = Header("追光行动 " * 8, "utf-8")
    message.set_boundary("fixed-boundary")
    expected = flattened(message, email.policy.compat32)
    # when flattened through the cache, twice (the second time from the cache)
    first = flattened(message, FOLDING_POLICY)
    hits = _folded_binary.cache_info().hits
    second = flattened(message, FOLDING_POLICY)
    # then the bytes are compat32's, and the second time came from the cache
    assert first == expected
    assert second == expected
    assert _folded_binary.cache_info().hits > hits
    # and so is the text form
    text = message.as_string()
    message.policy = email.policy.compat32
    assert text == message.as_string()


def test_a_digest_email_draws_its_boundary_when_built_and_parses_back() -> None:
    # given two digest emails with a text and an HTML part
    def build() -> Any:
        digest = DigestEmail(subject="Reminders", body="Text part 正文\n", to=["ann@example.org"])
        digest.attach_alternative("<p>HTML part</p>", "text/html")
        return digest.message()

    first, second = build(), build()
    # then each has its own random boundary, which the generator keeps
    assert re.fullmatch(r"=_[0-9a-f]{32}", first.get_boundary())
    assert first.get_boundary() != second.get_boundary()
    raw = first.as_bytes(linesep="\r\n")
    assert f"--{first.get_boundary()}--".encode() in raw
    # and a mail reader finds both parts as written
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().splitlines() == ["Text part 正文"]
    assert html.get_content().splitlines() == ["<p>HTML part</p>"]


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
