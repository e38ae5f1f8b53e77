"""Indicators of delivery and their dated readings."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from initiatives.dates import DATE_RANGE, dates_in_range
from initiatives.models.base import Citation, TimestampedModel
from initiatives.models.initiatives import Initiative
from initiatives.models.sources import Source


class Indicator(TimestampedModel):
    """A measured quantity that shows an initiative's delivery, e.g. 5G base stations."""

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase (higher is better)"
        DECREASE = "decrease", "Decrease (lower is better)"
        MAINTAIN = "maintain", "Maintain (hold the level)"

    class Kind(models.TextChoices):
        BINDING = "binding", "Binding target"
        ANTICIPATORY = "anticipatory", "Anticipatory (expected) target"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=100, help_text='As the source states it, e.g. "households".')
    direction = models.CharField(
        max_length=10,
        choices=Direction.choices,
        blank=True,
        help_text="Which way is better; empty when the source does not say.",
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, blank=True, help_text="Only when a target is set."
    )
    baseline_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True, validators=DATE_RANGE)
    target_value = models.DecimalField(
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Leave empty when no target was announced.",
    )
    target_date = models.DateField(null=True, blank=True, validators=DATE_RANGE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative_id", "name"]
        constraints = [
            *dates_in_range("indicator", "baseline_date", "target_date"),
            models.UniqueConstraint(
                fields=["initiative", "name"], name="indicator_initiative_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(baseline_date__isnull=True) | Q(baseline_value__isnull=False),
                name="indicator_baseline_date_needs_value",
                violation_error_message="baseline_value is needed when baseline_date is set.",
            ),
            models.CheckConstraint(
                condition=Q(target_date__isnull=True) | Q(target_value__isnull=False),
                name="indicator_target_date_needs_value",
                violation_error_message="target_value is needed when target_date is set.",
            ),
            models.CheckConstraint(
                condition=Q(kind="") | Q(target_value__isnull=False),
                name="indicator_kind_needs_target",
                violation_error_message="kind applies only to an indicator with a target_value.",
            ),
            models.CheckConstraint(
                condition=Q(baseline_date__isnull=True)
                | Q(target_date__isnull=True)
                | Q(baseline_date__lte=F("target_date")),
                name="indicator_baseline_not_after_target",
                violation_error_message="baseline_date must not be after target_date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class IndicatorReading(Citation):
    """A dated value of an indicator, as a source states it ("more than 2.31 million")."""

    class Qualifier(models.TextChoices):
        EXACTLY = "exactly", "exactly"
        MORE_THAN = "more_than", "more than"
        AT_LEAST = "at_least", "at least"
        LESS_THAN = "less_than", "less than"
        AT_MOST = "at_most", "at most"
        ABOUT = "about", "about"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="readings")
    observed_on = models.DateField(validators=DATE_RANGE, help_text="The date the value describes.")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, default="exactly")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="readings", null=True, blank=True
    )
    excerpt = models.TextField(blank=True, help_text="The passage that states the value.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator_id", "-observed_on", "-id"]
        constraints = [
            *dates_in_range("reading", "observed_on"),
            models.UniqueConstraint(
                fields=["indicator", "observed_on", "source"], name="reading_unique_per_source"
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=True) | ~Q(excerpt=""),
                name="reading_source_has_excerpt",
                violation_error_message=(
                    "excerpt: quote the passage of the source that states the value."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "-observed_on", "-id"], name="reading_series_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}: {self.get_qualifier_display()} {self.value}"
