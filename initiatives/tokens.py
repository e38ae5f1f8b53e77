"""Issuing and checking access tokens (see ``AccessToken``)."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from initiatives.dates import LATEST_DATE
from initiatives.models import AccessToken

TOKEN_PREFIX = {AccessToken.Scope.API: "itk_", AccessToken.Scope.CALENDAR: "itc_"}
# Expiry is a date a person enters: the same range as every other date.
LATEST_EXPIRY = datetime.datetime.combine(LATEST_DATE, datetime.time(), tzinfo=datetime.UTC)
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
    expires_at: datetime.datetime | None = None,
) -> tuple[AccessToken, str]:
    """Create a token expiring ``expires_in`` from now or at ``expires_at`` (default: never);
    returns the row and the token itself, which is never stored."""
    now = timezone.now()
    if expires_in is not None:
        expires_at = now + expires_in
    if expires_at is not None and not now < expires_at <= LATEST_EXPIRY:
        raise ValidationError(
            {"expires_at": f"Give a time after now and before {LATEST_EXPIRY:%Y-%m-%d}."}
        )
    token = TOKEN_PREFIX[AccessToken.Scope(scope)] + secrets.token_urlsafe(32)
    row = AccessToken(
        user=user,
        name=name,
        scope=scope,
        prefix=token[:12],
        digest=digest_of(token),
        expires_at=expires_at,
    )
    row.full_clean()
    row.save()
    return row, token


def token_authenticate(token: str, *, scope: str) -> AccessToken | None:
    """The usable token of this scope matching ``token``, its use recorded; else None."""
    now = timezone.now()
    try:
        row = (
            AccessToken.objects.usable(now=now)
            .select_related("user")
            .get(digest=digest_of(token), scope=scope)
        )
    except AccessToken.DoesNotExist:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def token_revoke(*, token: AccessToken) -> AccessToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
