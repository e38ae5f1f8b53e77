"""Access tokens for the API and the calendar feed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from simple_history.models import HistoricalRecords


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def usable(self, *, now: datetime.datetime | None = None) -> AccessTokenQuerySet:
        """Tokens that still open the door at ``now`` (default: this moment): not revoked, not
        expired, of an active user.

        Expiry is judged by the application's clock, the one that wrote ``expires_at``; SQLite's
        own clock has only millisecond precision, so a token outlived its expiry there."""
        moment = timezone.now() if now is None else now
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
        )


class AccessToken(models.Model):
    """A secret that lets a program act as its user without a password.

    ``api`` tokens authenticate REST API calls; ``calendar`` tokens go in a calendar app's feed
    URL and open nothing but the user's read-only calendar feed. Only a SHA-256 digest is kept:
    the token itself is shown once, when it is issued (``initiatives.tokens``).
    """

    class Scope(models.TextChoices):
        API = "api", "REST API"
        CALENDAR = "calendar", "Calendar feed (read-only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100, help_text='What it is for, e.g. "dashboard front-end".')
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.API)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to recognise it."
    )
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    # Uses are stamped with update(), outside the history; issuing and revoking are in it.
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["user_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="access_token_digest_unique"),
            models.UniqueConstraint(
                fields=["user", "scope", "name"],
                condition=Q(revoked_at__isnull=True),
                name="access_token_live_name_unique",
                violation_error_message="This user already has a live token of that name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
