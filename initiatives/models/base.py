"""What the domain's models share: timestamps, versions, citations, the completion-date rule."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models.functions import Now

from initiatives.dates import local_today


def completion_date_errors(
    completed_on: datetime.date | None, announced_on: datetime.date | None
) -> list[str]:
    """What is wrong with a completion date, if anything: work is not done in the future, nor
    before it was announced (either would skew the on-time statistics)."""
    if completed_on is None:
        return []
    if completed_on > local_today():
        return ["A completion date cannot be in the future."]
    if announced_on is not None and completed_on < announced_on:
        return [f"A completion date cannot be before the announcement ({announced_on:%Y-%m-%d})."]
    return []


class TimestampedModel(models.Model):
    # db_default also stamps rows that bypass save(), such as fixture loads.
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        abstract = True


class VersionedModel(TimestampedModel):
    """A row whose every saved change is a new version.

    The version is the concurrency token behind ETag/If-Match: a writer that read version N may
    only save if the row is still at N. Bumping it here, in ``save()``, is what makes every write
    path (API, admin, services, shell) move it, so no change can slip past a stale ETag.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
        super().save(*args, **kwargs)


class Citation(models.Model):
    """Where a claim comes from: the words quoted from a source and who said them."""

    excerpt = models.TextField(help_text="The passage quoted from the source, word for word.")
    speaker = models.CharField(
        max_length=200, blank=True, help_text="Who said it, where the source attributes it."
    )

    class Meta:
        abstract = True
