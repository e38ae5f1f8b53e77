"""Issuing and checking access tokens (see ``AccessToken``)."""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from initiatives.compiled import CompiledQuery
from initiatives.models import AccessToken

TOKEN_PREFIX = {AccessToken.Scope.API: "itk_", AccessToken.Scope.CALENDAR: "itc_"}
# Recording every use would turn each read into a write; once a minute says enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def digest_of(token: str) -> str:
    # The token carries 256 random bits, so a fast unsalted hash cannot be brute-forced.
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_issue(
    *,
    user: Any,
    name: str,
    scope: str = AccessToken.Scope.API,
    expires_in: datetime.timedelta | None = None,
) -> tuple[AccessToken, str]:
    """Create a token; returns the row and the token itself, which is never stored."""
    token = TOKEN_PREFIX[AccessToken.Scope(scope)] + secrets.token_urlsafe(32)
    row = AccessToken(
        user=user,
        name=name,
        scope=scope,
        prefix=token[:12],
        digest=digest_of(token),
        expires_at=timezone.now() + expires_in if expires_in else None,
    )
    row.full_clean()
    row.save()
    return row, token


class _TokenLookup:
    """``AccessToken.objects.usable().select_related("user").get(digest=…, scope=…)``, its SQL
    compiled once per process.

    Every request asks that question with another digest, and composing and compiling the
    query cost several times what running it does (2.7 M instructions of a request's 18 M).
    The ORM still writes the SQL, from the one definition of a usable token, with two
    stand-in values that each call replaces with its own; the rows are built as the ORM
    builds them (``from_db``, the user cached on its token).
    """

    DIGEST = "\x00digest"  # stand-ins: no real digest or scope contains a NUL
    SCOPE = "\x00scope"

    def __init__(self) -> None:
        queryset = (
            AccessToken.objects.usable()
            .select_related("user")
            .filter(digest=self.DIGEST, scope=self.SCOPE)
            .order_by()  # as get() does: the digest is unique
        )
        self.query = CompiledQuery(queryset, stand_ins=(self.DIGEST, self.SCOPE))
        token_info = self.query.klass_info
        (user_info,) = token_info["related_klass_infos"]
        self.token_fields = self._slice(token_info["select_fields"])
        self.user_fields = self._slice(user_info["select_fields"])
        self.cache_user = user_info["local_setter"]

    def _slice(self, positions: list[int]) -> tuple[slice, list[str]]:
        names = [self.query.columns[i].target.attname for i in positions]
        return slice(positions[0], positions[-1] + 1), names

    def __call__(self, digest: str, scope: str) -> AccessToken | None:
        rows = self.query.rows(digest, scope)
        if not rows:
            return None
        (row,) = rows
        (token_at, token_names), (user_at, user_names) = self.token_fields, self.user_fields
        db = self.query.db
        token = AccessToken.from_db(db, token_names, row[token_at])
        self.cache_user(token, get_user_model().from_db(db, user_names, row[user_at]))
        return token


@functools.cache
def _token_lookup() -> _TokenLookup:
    return _TokenLookup()


def token_authenticate(token: str, *, scope: str) -> AccessToken | None:
    """The usable token of this scope matching ``token``, its use recorded; else None."""
    row = _token_lookup()(digest_of(token), scope)
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def token_revoke(*, token: AccessToken) -> AccessToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
