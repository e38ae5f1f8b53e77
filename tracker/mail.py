"""The reminder digest as an email: Django's ``EmailMultiAlternatives``, sent cheaply.

A sweep mails thousands of digests in one run, and Python's email package spent more time
turning each into bytes than the templates spent writing it, and Django's SMTP backend more
time parsing the two addresses than smtplib spent sending the message.

- **Plain digests are written out** (``DigestEmail.wire_bytes``): a digest whose headers are
  short printable ASCII lines, with one text and one HTML part, is laid out as the email
  package lays it out, byte for byte (a test compares them over generated digests). Anything
  else (a header to encode or fold, a line too long for 8bit) goes through the email package.
- **Addresses are sanitized once** (``SMTPBackend``): a plain ``local@domain`` comes out of
  Django's ``sanitize_address`` as it went in, without the RFC 5322 parser; any other address
  is parsed once per process (the sender, every time). smtplib then parsed both again to
  quote them in its MAIL and RCPT commands; ``PlainAddressSMTP`` quotes a plain one as it is
  and parses any other once.

For messages that do go through the email package, two things in it are repeated work:

- **Header folding.** compat32, the policy Django 5's messages use, folds every header line
  through ``email.header.Header`` on every message, yet most lines are the same in a day's
  digests: the subject for the same counts and day, the sender, MIME-Version, each part's
  Content-Type and Content-Transfer-Encoding. ``FOLDING_POLICY`` keeps the lines it folded.
- **The multipart boundary.** The generator draws one per message and compiles a regular
  expression from it to check that the body does not contain it. A boundary with 128 random
  bits is set when the message is built instead, and no body can contain it by chance.
"""

from __future__ import annotations

import functools
import re
import secrets
import smtplib
from collections.abc import Sequence
from email.policy import Compat32
from email.utils import formatdate
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address


@functools.lru_cache(maxsize=1024)
def _folded(name: str, value: str, linesep: str, max_line_length: int | None) -> str:
    return Compat32(linesep=linesep, max_line_length=max_line_length).fold(name, value)


@functools.lru_cache(maxsize=1024)
def _folded_binary(
    name: str, value: str, linesep: str, max_line_length: int | None, cte_type: str
) -> bytes:
    policy = Compat32(linesep=linesep, max_line_length=max_line_length, cte_type=cte_type)
    return policy.fold_binary(name, value)


class FoldingCachePolicy(Compat32):
    """compat32, remembering the header lines it folded.

    compat32 folds a string header by its name and value, line separator, maximum line length
    and (into bytes) transfer encoding alone, so a line folded once is folded the same ever
    after. A header held as a ``Header`` object folds itself, as before.
    """

    def fold(self, name: str, value: Any) -> str:
        if isinstance(value, str):
            return _folded(name, value, self.linesep, self.max_line_length)
        return super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str):
            return _folded_binary(name, value, self.linesep, self.max_line_length, self.cte_type)
        return super().fold_binary(name, value)


FOLDING_POLICY = FoldingCachePolicy()


# A header line the email package writes as it is: printable ASCII, short enough that neither
# Django's subject encoding (76 characters) nor compat32's folding (78) touches it.
_PLAIN_HEADER = re.compile(r"[ -~]*")
_PLAIN_HEADER_LINE = 76
# Lines longer than this (in bytes) make Django send a part quoted-printable (RFC 5322's limit).
_LONGEST_8BIT_LINE = 998
_LINE_END = re.compile(r"\r\n|\r|\n")


def _plain_header(name: str, value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(name) + 2 + len(value) <= _PLAIN_HEADER_LINE
        and _PLAIN_HEADER.fullmatch(value) is not None
    )


def _part(content_type: str, text: str) -> bytes | None:
    """A text part as the email package writes a UTF-8 part of Django's; None when it would
    encode it (a line over 998 bytes, or text that is not valid Unicode)."""
    try:
        body = _LINE_END.sub("\r\n", text).encode()
    except UnicodeEncodeError:  # lone surrogates
        return None
    if any(len(line) > _LONGEST_8BIT_LINE for line in body.split(b"\r\n")):
        return None
    encoding = "7bit" if body.isascii() else "8bit"
    head = (
        f'Content-Type: {content_type}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode() + body


class DigestEmail(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` with its multipart boundary drawn when it is built, which
    the SMTP backend sends as ``wire_bytes()``. ``message()`` is Django's MIME message (for the
    other backends), flattened through ``FOLDING_POLICY``; its bytes differ from Django's only
    in the boundary."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # 128 random bits: no body contains it by chance, so the generator need not check.
        self.boundary = f"=_{secrets.token_hex(16)}"

    def message(self, **options: Any) -> Any:
        message = super().message(**options)
        # The generator flattens every part with the policy of the message it was handed.
        message.policy = FOLDING_POLICY
        if message.is_multipart():
            message.set_boundary(self.boundary)
        return message

    def wire_bytes(self) -> bytes:
        """The message as SMTP sends it (CRLF line ends): what ``message().as_bytes()`` gives,
        written directly when the digest is plain, else through the email package."""
        return self._written_out() or self.message().as_bytes(linesep="\r\n")

    def _written_out(self) -> bytes | None:
        encoding = self.encoding or settings.DEFAULT_CHARSET
        if (
            encoding.lower() != "utf-8"
            or not isinstance(self.body, str)
            or not self.body  # Django leaves an empty text part out
            or self.content_subtype != "plain"
            or self.alternative_subtype != "alternative"  # type: ignore[attr-defined]  # not in the stubs
            or self.attachments
            or self.cc
            or self.reply_to
            or len(self.alternatives) != 1
            or self.alternatives[0][1] != "text/html"
            or set(self.extra_headers) != {"Message-ID"}
        ):
            return None
        headers = {
            "Subject": self.subject,
            "From": self.from_email,
            "To": ", ".join(str(to) for to in self.to),
            "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
            **self.extra_headers,
        }
        if not self.to or not all(_plain_header(n, v) for n, v in headers.items()):
            return None
        text = _part("text/plain", self.body)
        html = _part("text/html", str(self.alternatives[0][0]))
        if text is None or html is None:
            return None
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        delimiter = f"\r\n--{self.boundary}\r\n".encode()
        return b"".join(
            [
                f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"\r\n'
                f"MIME-Version: 1.0\r\n{lines}\r\n--{self.boundary}\r\n".encode(),
                text,
                delimiter,
                html,
                f"\r\n--{self.boundary}--\r\n".encode(),
            ]
        )


# A plain address in dot-atom form ("li.wei@miit.gov.cn"), ASCII, no display name: Django's
# sanitize_address returns it as it is (a test checks that over generated addresses).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
)


@functools.lru_cache(maxsize=1024)
def _sanitized(address: Any, encoding: str) -> str:
    return str(sanitize_address(address, encoding))


def sanitized_address(address: Any, encoding: str) -> str:
    """Django's ``sanitize_address``, parsing only what is not a plain address, once."""
    if isinstance(address, str) and _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding)


@functools.lru_cache(maxsize=1024)
def _quoted(address: str) -> str:
    return smtplib.quoteaddr(address)


def quoted_address(address: str) -> str:
    """``smtplib.quoteaddr``: a plain address in angle brackets, without the RFC 5322 parser
    (a test checks that over generated addresses); any other address (the sender, with its
    display name) parsed by smtplib once per process."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return _quoted(address)


class PlainAddressSMTP(smtplib.SMTP):
    """smtplib's client, its MAIL and RCPT commands quoting addresses with ``quoted_address``.

    smtplib parses both addresses of every message with ``email.utils.parseaddr``, which cost a
    one-line digest a tenth of its instructions in the worker. The two commands are smtplib's
    otherwise; a test compares what each client sends.
    """

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if any(option.lower() == "smtputf8" for option in options):
            return super().mail(sender, options)  # which also switches the command encoding
        self.putcmd("mail", f"FROM:{quoted_address(sender)}{self._option_list(options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.putcmd("rcpt", f"TO:{quoted_address(recip)}{self._option_list(options)}")
        return self.getreply()

    def _option_list(self, options: Sequence[str]) -> str:
        return " " + " ".join(options) if options and self.does_esmtp else ""


class PlainAddressSMTPSSL(PlainAddressSMTP, smtplib.SMTP_SSL):
    """``PlainAddressSMTP`` over implicit TLS (``EMAIL_USE_SSL``)."""


class SMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend (``EMAIL_URL=smtp://…``), sending a digest's ``wire_bytes()``,
    sanitizing each address once and quoting plain ones without parsing them.

    ``_send`` is Django 5.2's with the first two changes; a test sends the same messages
    through both backends and compares what the server received.
    """

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return PlainAddressSMTPSSL if self.use_ssl else PlainAddressSMTP

    def _send(self, email_message: Any) -> bool:
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitized_address(email_message.from_email, encoding)
        recipients = [sanitized_address(addr, encoding) for addr in email_message.recipients()]
        if isinstance(email_message, DigestEmail):
            data = email_message.wire_bytes()
        else:
            data = email_message.message().as_bytes(linesep="\r\n")
        connection = cast(smtplib.SMTP, self.connection)  # send_messages opened it
        try:
            connection.sendmail(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
