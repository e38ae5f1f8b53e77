"""The reminder digest as an email: Django's ``EmailMultiAlternatives``, flattened cheaply.

A sweep mails thousands of digests in one run, and Python's email package spent more time
turning each into bytes than the templates spent writing it. Two things in it are repeated work:

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
import secrets
from email.policy import Compat32
from typing import Any

from django.core.mail import EmailMultiAlternatives


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


class DigestEmail(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` whose MIME message flattens through ``FOLDING_POLICY``,
    with its multipart boundary drawn when it is built. The bytes differ from Django's only in
    the boundary."""

    def message(self, **options: Any) -> Any:
        message = super().message(**options)
        # The generator flattens every part with the policy of the message it was handed.
        message.policy = FOLDING_POLICY
        if message.is_multipart():
            message.set_boundary(f"=_{secrets.token_hex(16)}")
        return message
