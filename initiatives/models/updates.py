"""The progress timeline of an initiative."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from initiatives.models.initiatives import Initiative


class ProgressUpdate(models.Model):
    """An entry in an initiative's append-only progress timeline.

    When it sets a status, confidence or progress, the initiative took those values in the same
    transaction (``initiatives.services.progress_update_post``).
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_updates",
    )
    posted_at = models.DateTimeField(default=timezone.now)
    body = models.TextField()
    status = models.CharField(
        max_length=20, choices=Initiative.Status.choices, blank=True, help_text="Status it set."
    )
    confidence = models.CharField(
        max_length=20,
        choices=Initiative.Confidence.choices,
        blank=True,
        help_text="Confidence it set.",
    )
    progress = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Progress it set.",
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        get_latest_by = "posted_at"
        constraints = [
            models.CheckConstraint(
                condition=~Q(body=""),
                name="update_body_not_blank",
                violation_error_message="body must not be blank.",
            ),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | (Q(progress__gte=0) & Q(progress__lte=100)),
                name="update_progress_0_100",
                violation_error_message="progress must be between 0 and 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["initiative", "-posted_at", "-id"], name="update_timeline_idx"),
            models.Index(fields=["-posted_at", "-id"], name="update_posted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} @ {self.posted_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The timeline is a record of what was said when: entries are added, never rewritten.
        if not self._state.adding:
            raise ValueError("Progress updates are append-only; post a new one instead.")
        super().save(*args, **kwargs)
