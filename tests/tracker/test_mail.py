"""The digest's email, date format and links: cheaper to build, and the same as before."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import smtplib
from email.header import Header
from typing import Any

import pytest
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.urls import reverse, set_script_prefix
from django.utils import dateformat, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.tracker.conftest import SmtpServer
from tracker import mail_templates
from tracker.links import milestone_admin_url, milestone_api_url
from tracker.mail import (
    _PLAIN_ADDRESS,
    FOLDING_POLICY,
    DigestEmail,
    PlainAddressSMTP,
    _folded_binary,
    _quoted,
    quoted_address,
    sanitized_address,
)

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


# Text as digests hold it: ASCII and Chinese, spaces, every kind of line end, now and then a
# line too long for 8bit.
TEXT = st.lists(
    st.sampled_from([*"abc xyz-:()[]<>&\"'=", "\n", "\r", "\r\n", "\t", "追光行动", "é", "a" * 400])
).map("".join)
HEADER_TEXT = st.lists(
    st.sampled_from([*"abc XYZ 019-:()[],.", "  ", "追", "a" * 30]), max_size=40
).map("".join)
ADDRESSES = st.sampled_from(
    [
        "ann@example.org",
        "li.wei+reminders@miit.gov.cn",
        "Initiative Tracker <tracker@localhost>",
        "交付办公室 <office@example.org>",
        '"Quoted, Name" <q@example.org>',
        "x" * 70 + "@example.org",
    ]
)


def django_bytes(digest: DigestEmail, date: str) -> bytes:
    """What Django's own EmailMultiAlternatives writes for the same digest (same boundary and
    Date line)."""
    reference = EmailMultiAlternatives(
        subject=digest.subject,
        body=digest.body,
        from_email=digest.from_email,
        to=digest.to,
        headers=digest.extra_headers,
    )
    for content, mimetype in digest.alternatives:
        reference.attach_alternative(content, mimetype)
    message: Any = reference.message()
    if message.is_multipart():
        message.set_boundary(digest.boundary)
    message.replace_header("Date", date)
    return bytes(message.as_bytes(linesep="\r\n"))


def date_line(raw: bytes) -> str:
    found = re.search(rb"^Date: (.*)\r$", raw, re.MULTILINE)
    assert found is not None
    return found.group(1).decode()


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=HEADER_TEXT, body=TEXT, html=TEXT, sender=ADDRESSES, to=ADDRESSES)
def test_a_digest_sends_the_bytes_django_would_write(
    subject: str, body: str, html: str, sender: str, to: str
) -> None:
    # given a digest, plain or not: short or long, ASCII or not, any line ends
    digest = DigestEmail(
        subject=subject,
        body=body,
        from_email=sender,
        to=[to],
        headers={"Message-ID": "<reminders-1@example.org>"},
    )
    digest.attach_alternative(html, "text/html")
    # when written out for SMTP
    raw = digest.wire_bytes()
    # then the bytes are those of Django's own message, boundary and date aside
    assert raw == django_bytes(digest, date_line(raw))


def test_a_plain_digest_is_written_out_without_the_email_package() -> None:
    # given a digest as the sender builds it: ASCII headers, a Chinese title in the body
    digest = DigestEmail(
        subject="[Initiative Tracker] 1 overdue (2026-11-27)",
        body="光纤网络「追光行动」\n  - due 2026-11-20\n",
        to=["li.wei@miit.gov.cn"],
        headers={"Message-ID": "<reminders-2@example.org>"},
    )
    digest.attach_alternative("<p>光纤网络「追光行动」</p>\n", "text/html")
    # then it is written directly, and is what Django would write
    written = digest._written_out()
    assert written is not None
    assert b"Content-Transfer-Encoding: 8bit" in written
    assert written == django_bytes(digest, date_line(written))
    # and anything the email package must encode goes through it
    digest.subject = "追光行动 reminders"
    assert digest._written_out() is None
    assert digest.wire_bytes() == django_bytes(digest, date_line(digest.wire_bytes()))


@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Shanghai", "+0800"), ("Asia/Kolkata", "+0530")]
)
def test_a_digest_is_dated_in_time_zone_as_its_body_is(
    settings: Any, zone: str, offset: str
) -> None:
    # given the deployment's zone
    settings.TIME_ZONE = zone
    digest = DigestEmail(
        subject="[Initiative Tracker] 1 due today (2026-11-27)",
        body="Due today\n",
        to=["li.wei@miit.gov.cn"],
        headers={"Message-ID": "<reminders-3@example.org>"},
    )
    digest.attach_alternative("<p>Due today</p>\n", "text/html")
    # when it is written out for SMTP, or by the email package (the file backend of `make run`)
    assert digest._written_out() is not None
    for raw in (digest.wire_bytes(), digest.message().as_bytes(linesep="\r\n")):
        # then its Date header carries the zone's offset, not UTC's -0000
        assert date_line(raw).endswith(f" {offset}"), date_line(raw)


@hypothesis_settings(max_examples=300, deadline=None)
@given(address=st.from_regex(_PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_what_django_makes_of_it(address: str) -> None:
    assert sanitized_address(address, "utf-8") == sanitize_address(address, "utf-8")


@pytest.mark.parametrize(
    "address",
    [
        "Initiative Tracker <tracker@localhost>",
        "交付办公室 <office@example.org>",
        ("Ann Lee", "ann@example.org"),
        "ann@bücher.example",
        '"a b"@example.org',
    ],
)
def test_other_addresses_are_sanitized_by_django_once(address: Any) -> None:
    first = sanitized_address(address, "utf-8")
    assert first == sanitize_address(address, "utf-8")
    assert sanitized_address(address, "utf-8") == first


@hypothesis_settings(max_examples=300, deadline=None)
@given(address=st.from_regex(_PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_is_quoted_as_smtplib_quotes_it(address: str) -> None:
    assert quoted_address(address) == smtplib.quoteaddr(address)


@pytest.mark.parametrize(
    "address", ["Initiative Tracker <tracker@localhost>", '"a b"@example.org', "ann@bücher.example"]
)
def test_other_addresses_are_quoted_by_smtplib_once(address: str) -> None:
    first = quoted_address(address)
    assert first == smtplib.quoteaddr(address)
    hits = _quoted.cache_info().hits
    assert quoted_address(address) == first
    assert _quoted.cache_info().hits == hits + 1


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        ("tracker@localhost", "ann@example.org"),
        ("Initiative Tracker <tracker@localhost>", '"a b"@example.org'),
        ("=?utf-8?b?5Lqk5LuY?= <office@example.org>", "li.wei+reminders@miit.gov.cn"),
    ],
)
def test_the_smtp_client_says_what_smtplib_says(
    smtp: SmtpServer, capsys: Any, sender: str, recipient: str
) -> None:
    said = []
    for client_class in [smtplib.SMTP, PlainAddressSMTP]:
        with client_class("127.0.0.1", smtp.port, local_hostname="tracker.test") as client:
            client.set_debuglevel(1)  # smtplib then writes each line it sends to stderr
            message = b"Subject: x\r\n\r\nA line.\r\n"
            client.sendmail(sender, [recipient], message, mail_options=["BODY=8BITMIME"])
        lines = capsys.readouterr().err.splitlines()
        said.append([line for line in lines if line.startswith("send:")])
    assert said[0] == said[1]
    assert any("rcpt TO:" in line for line in said[1])
    assert len(smtp.sink.messages) == 2


def test_the_smtp_backend_sends_what_djangos_sends(smtp: SmtpServer) -> None:
    # given a digest, a plain message and one with non-ASCII names, sent through Django's SMTP
    # backend and through ours
    digest = DigestEmail(
        subject="[Initiative Tracker] 2 due today (2026-11-27)",
        body="追光行动\n",
        from_email="Initiative Tracker <tracker@localhost>",
        to=["ann@example.org"],
        headers={"Message-ID": "<reminders-3@example.org>"},
    )
    digest.attach_alternative("<p>追光行动</p>", "text/html")
    plain = EmailMessage(
        "Password reset",
        "Follow the link.\n",
        to=["bob@example.org"],
        headers={"Message-ID": "<p@x>"},
    )
    named = EmailMessage(
        "交付", "正文\n", "交付办公室 <office@example.org>", ["李伟 <li@example.org>"],
        headers={"Message-ID": "<n@x>"},
    )  # fmt: skip
    messages = [digest, plain, named]
    clients = []
    for backend in ["django.core.mail.backends.smtp.EmailBackend", "tracker.mail.SMTPBackend"]:
        with get_connection(backend) as connection:
            clients.append(type(connection.connection))
            assert connection.send_messages(messages) == 3
    assert clients == [smtplib.SMTP, PlainAddressSMTP]
    # then the server received the same envelopes and the same bytes from both, dates aside
    sink = smtp.sink
    undated = [re.sub(rb"^Date: .*$", b"Date:", raw, flags=re.MULTILINE) for raw in sink.raw]
    assert sink.envelopes[:3] == sink.envelopes[3:]
    assert undated[:3] == undated[3:]
    assert sink.envelopes[2] == ("office@example.org", ["li@example.org"])
    assert b"To: =?utf-8?b?5p2O5Lyf?= <li@example.org>" in sink.raw[5]


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
