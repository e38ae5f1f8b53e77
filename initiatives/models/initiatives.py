"""Initiatives, their tags, supporting agencies and the sources that announced them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from simple_history.models import HistoricalRecords

from initiatives.dates import DATE_RANGE, dates_in_range, local_today
from initiatives.models.agencies import Agency
from initiatives.models.base import Citation, VersionedModel, completion_date_errors
from initiatives.models.sources import Source


class Tag(models.Model):
    """A free label for grouping initiatives across themes (e.g. "5g", "computing-power")."""

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="tag_slug_unique"),
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_ci",
                violation_error_message="name: another tag has it (in any letter case).",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Meta cannot see the class body; the test suite checks this matches Initiative.FINISHED_STATUSES.
_FINISHED = ["completed", "partially_completed"]


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def with_milestone_counts(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """Annotate ``open_milestones``, ``overdue_milestones`` and ``next_due_date``.

        As correlated subqueries, not a join with GROUP BY: a page computes them for its own
        rows only, and counting the page's rows leaves them out.
        """
        # Imported here: the milestones module imports this one for its foreign key.
        from initiatives.models.milestones import Milestone

        today = today or local_today()
        open_milestones = Milestone.objects.filter(
            initiative=OuterRef("pk"), status__in=Milestone.OPEN_STATUSES
        ).order_by()

        def aggregate(queryset: Any, function: Any, output: models.Field[Any, Any]) -> Any:
            value = queryset.values("initiative").annotate(value=function).values("value")
            return (
                Coalesce(Subquery(value, output_field=output), Value(0))
                if (isinstance(function, models.Count))
                else Subquery(value, output_field=output)
            )

        return self.annotate(
            open_milestones=aggregate(open_milestones, models.Count("id"), models.IntegerField()),
            overdue_milestones=aggregate(
                open_milestones.filter(due_date__lt=today),
                models.Count("id"),
                models.IntegerField(),
            ),
            next_due_date=aggregate(open_milestones, models.Min("due_date"), models.DateField()),
        )

    def led_by(self, agency_ids: Iterable[int]) -> InitiativeQuerySet:
        return self.filter(owner_agency_id__in=agency_ids)


class Initiative(VersionedModel):
    """An announced action, programme or goal, followed from announcement to delivery."""

    class Status(models.TextChoices):
        ANNOUNCED = "announced", "Announced (not yet started)"
        IN_PROGRESS = "in_progress", "In progress"
        ONGOING = "ongoing", "Ongoing (a continuing goal with no end state)"
        STALLED = "stalled", "Stalled"
        COMPLETED = "completed", "Completed"
        PARTIALLY_COMPLETED = "partially_completed", "Partially completed"
        DISCONTINUED = "discontinued", "Discontinued"
        SUPERSEDED = "superseded", "Superseded (by another initiative)"

    class Confidence(models.TextChoices):
        """Delivery confidence, on the UK delivery-confidence assessment's five-point scale."""

        GREEN = "green", "Green: delivery on time and budget highly likely"
        AMBER_GREEN = "amber_green", "Amber/green: probable, if constant attention is paid"
        AMBER = "amber", "Amber: feasible, but significant issues need management"
        AMBER_RED = "amber_red", "Amber/red: in doubt, with major risks or issues"
        RED = "red", "Red: appears to be unachievable without major action"
        NOT_ASSESSED = "not_assessed", "Not assessed"

    # Statuses in which the initiative has been delivered, in full or in part.
    FINISHED_STATUSES = (Status.COMPLETED, Status.PARTIALLY_COMPLETED)

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120)
    summary = models.TextField(blank=True)
    owner_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="led_initiatives",
        verbose_name="lead agency",
        help_text="The unit that leads delivery.",
    )
    supporting_agencies = models.ManyToManyField(
        Agency, through="InitiativeAgency", related_name="supported_initiatives", blank=True
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The programme this action belongs to.",
    )
    theme = models.CharField(max_length=100, blank=True, help_text="Policy area, e.g. 5G.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ANNOUNCED)
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        help_text="Set exactly when the status is superseded.",
    )
    confidence = models.CharField(
        max_length=20, choices=Confidence.choices, default=Confidence.NOT_ASSESSED
    )
    announced_on = models.DateField(null=True, blank=True, validators=DATE_RANGE)
    start_date = models.DateField(null=True, blank=True, validators=DATE_RANGE)
    target_date = models.DateField(
        null=True,
        blank=True,
        validators=DATE_RANGE,
        help_text="Leave empty when no deadline was announced.",
    )
    completed_on = models.DateField(
        null=True,
        blank=True,
        validators=DATE_RANGE,
        help_text="Set exactly when completed or partially completed.",
    )
    progress = models.PositiveSmallIntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Per cent delivered, 0 to 100.",
    )
    sources = models.ManyToManyField(
        Source, through="InitiativeSource", related_name="initiatives", blank=True
    )
    tags = models.ManyToManyField(Tag, related_name="initiatives", blank=True)
    notes = models.TextField(blank=True)

    objects = InitiativeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            *dates_in_range(
                "initiative", "announced_on", "start_date", "target_date", "completed_on"
            ),
            models.UniqueConstraint(fields=["slug"], name="initiative_slug_unique"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="initiative_progress_0_100",
                violation_error_message="progress must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(target_date__isnull=True)
                | Q(start_date__lte=F("target_date")),
                name="initiative_start_not_after_target",
                violation_error_message="start_date must not be after target_date.",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(completed_on__isnull=True)
                | Q(start_date__lte=F("completed_on")),
                name="initiative_start_not_after_completion",
                violation_error_message="start_date must not be after completed_on.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=_FINISHED, completed_on__isnull=False)
                | (~Q(status__in=_FINISHED) & Q(completed_on__isnull=True)),
                name="initiative_completed_on_iff_finished",
                violation_error_message=(
                    "completed_on is set exactly when status is completed or partially_completed."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="superseded", superseded_by__isnull=False)
                | (~Q(status="superseded") & Q(superseded_by__isnull=True)),
                name="initiative_superseded_by_iff_superseded",
                violation_error_message="superseded_by is set exactly when status is superseded.",
            ),
            models.CheckConstraint(
                condition=Q(superseded_by__isnull=True) | ~Q(superseded_by=F("id")),
                name="initiative_not_superseded_by_itself",
                violation_error_message="superseded_by: an initiative cannot supersede itself.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="initiative_not_own_parent",
                violation_error_message="parent: an initiative cannot be its own parent.",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_agency", "status"], name="initiative_owner_status_idx"),
            models.Index(fields=["status"], name="initiative_status_idx"),
            models.Index(fields=["confidence"], name="initiative_confidence_idx"),
            models.Index(fields=["theme"], name="initiative_theme_idx"),
            models.Index(fields=["announced_on"], name="initiative_announced_idx"),
            models.Index(fields=["target_date"], name="initiative_target_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def apply_update(
        self,
        *,
        status: str = "",
        confidence: str = "",
        progress: int | None = None,
        completed_on: datetime.date | None = None,
        superseded_by: Initiative | None = None,
    ) -> bool:
        """Take the status, confidence and progress a progress update sets (in memory).

        Completed or partially completed dates the completion (default: today); leaving those
        statuses clears it; superseded takes the initiative that supersedes it. Returns whether
        anything changed.
        """
        changed = False
        if status and status != self.status:
            self.status = status
            finished = status in self.FINISHED_STATUSES
            self.completed_on = (completed_on or local_today()) if finished else None
            self.superseded_by = superseded_by if status == self.Status.SUPERSEDED else None
            changed = True
        if confidence and confidence != self.confidence:
            self.confidence = confidence
            changed = True
        if progress is not None and progress != self.progress:
            self.progress = progress
            changed = True
        return changed

    def clean(self) -> None:
        if errors := completion_date_errors(self.completed_on, self.announced_on):
            raise ValidationError({"completed_on": errors})
        # A programme cannot sit below one of its own actions; a row cannot check a cycle.
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "An initiative cannot sit below itself."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class InitiativeAgency(models.Model):
    """An agency that supports an initiative led by another, and in which role."""

    class Role(models.TextChoices):
        CO_LEAD = "co_lead", "Co-lead"
        PARTICIPATING = "participating", "Participating"
        SUPERVISING = "supervising", "Supervising (receives escalations)"

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="agency_roles"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="initiative_roles")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPATING)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "supporting agency"
        verbose_name_plural = "supporting agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "agency"], name="initiative_agency_unique"
            ),
        ]
        indexes = [models.Index(fields=["agency", "role"], name="initiative_agency_role_idx")]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.initiative_id and self.agency_id == self.initiative.owner_agency_id:
            raise ValidationError({"agency": "The lead agency cannot also be a supporting agency."})


class InitiativeSource(Citation):
    """A source's announcement of an initiative, with the passage that announced it."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "citation"
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "source"], name="initiative_source_unique"
            ),
            models.CheckConstraint(
                condition=~Q(excerpt=""),
                name="citation_excerpt_not_blank",
                violation_error_message="excerpt: quote the passage from the source.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} — {self.source}"
