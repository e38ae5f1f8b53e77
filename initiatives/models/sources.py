"""The documents that announce initiatives and report figures."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from initiatives.dates import DATE_RANGE, dates_in_range
from initiatives.models.base import TimestampedModel


class Source(TimestampedModel):
    """A document that announced or reported initiatives and figures."""

    class Kind(models.TextChoices):
        PRESS_CONFERENCE = "press_conference", "Press conference"
        NEWS_REPORT = "news_report", "News report"
        POLICY_DOCUMENT = "policy_document", "Policy document"
        STATISTICS_RELEASE = "statistics_release", "Statistics release"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    publisher = models.CharField(max_length=200, help_text="Who published it, e.g. People's Daily.")
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=500, blank=True)
    published_on = models.DateField(validators=DATE_RANGE)
    description = models.TextField(
        blank=True, help_text="What the document covers, e.g. the event a report is about."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "id"]
        constraints = [
            *dates_in_range("source", "published_on"),
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="source_url_unique_when_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publisher}, {self.published_on:%Y-%m-%d}: {self.title}"
