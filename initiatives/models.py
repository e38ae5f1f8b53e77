"""The domain: who leads what, what was announced, and how delivery is going.

Data rules live here as database constraints, so that no write path (admin, API, shell, a
migration) can store a row that breaks them. State changes that touch several rows live in
``initiatives.services``; derived read-only values live on the querysets and models.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower, Now
from django.utils import timezone
from simple_history.models import HistoricalRecords

from initiatives.dates import DATE_RANGE, dates_in_range, local_today


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


class Agency(TimestampedModel):
    """A government unit that leads or supports initiatives (a ministry, commission, office...)."""

    class Kind(models.TextChoices):
        MINISTRY = "ministry", "Ministry"
        COMMISSION = "commission", "Commission"
        OFFICE = "office", "Office"
        LOCAL_GOVERNMENT = "local_government", "Local government"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, help_text="Official English name.")
    name_zh = models.CharField(
        "Chinese name", max_length=200, blank=True, help_text="Official Chinese name, if any."
    )
    short_name = models.CharField(
        max_length=32, help_text='Unique abbreviation used in lists and filters, e.g. "MIIT".'
    )
    slug = models.SlugField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MINISTRY)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The unit this one belongs to, if any.",
    )
    website = models.URLField(blank=True)
    contact_email = models.EmailField(
        blank=True, help_text="The delivery office inbox; reminders go here when no one else can."
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["short_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("short_name"),
                name="agency_short_name_unique_ci",
                violation_error_message="short_name: another agency has it (in any letter case).",
            ),
            models.UniqueConstraint(fields=["slug"], name="agency_slug_unique"),
            models.UniqueConstraint(fields=["name"], name="agency_name_unique"),
            models.CheckConstraint(
                condition=~Q(short_name=""),
                name="agency_short_name_not_blank",
                violation_error_message="short_name must not be blank.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="agency_not_own_parent",
                violation_error_message="parent: an agency cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class Membership(TimestampedModel):
    """A user's role in an agency: what they may change and which mail they receive."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer (reads only)"
        EDITOR = "editor", "Editor (changes the agency's initiatives)"
        MANAGER = "manager", "Manager (edits, and receives escalations)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"], name="membership_user_agency_unique"
            ),
        ]
        indexes = [models.Index(fields=["agency", "role"], name="membership_agency_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency} ({self.role})"


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


class Citation(models.Model):
    """Where a claim comes from: the words quoted from a source and who said them."""

    excerpt = models.TextField(help_text="The passage quoted from the source, word for word.")
    speaker = models.CharField(
        max_length=200, blank=True, help_text="Who said it, where the source attributes it."
    )

    class Meta:
        abstract = True


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


# Meta cannot see the class body; the test suite checks these match the classes' own lists.
_FINISHED = ["completed", "partially_completed"]
_OPEN_MILESTONE = ["planned", "in_progress"]


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def with_milestone_counts(self, today: datetime.date | None = None) -> InitiativeQuerySet:
        """Annotate ``open_milestones``, ``overdue_milestones`` and ``next_due_date``.

        As correlated subqueries, not a join with GROUP BY: a page computes them for its own
        rows only, and counting the page's rows leaves them out.
        """
        today = today or local_today()
        open_milestones = Milestone.objects.filter(
            initiative=OuterRef("pk"), status__in=_OPEN_MILESTONE
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


class MilestoneQuerySet(models.QuerySet["Milestone"]):
    def open(self) -> MilestoneQuerySet:
        """Milestones still to be delivered (neither done nor cancelled)."""
        return self.filter(status__in=Milestone.OPEN_STATUSES)

    def overdue(self, today: datetime.date | None = None) -> MilestoneQuerySet:
        """Open milestones whose due date is before today (in TIME_ZONE)."""
        return self.open().filter(due_date__lt=today or local_today())

    def for_listing(self) -> MilestoneQuerySet:
        """What a list of milestones shows: the milestone, its initiative's title, its owner's
        name (whole related rows would cost more to load than the rest of a page)."""
        own = [field.name for field in Milestone._meta.concrete_fields]
        return self.select_related("initiative", "owner").only(
            *own, "initiative__title", "owner__username"
        )

    def not_overdue(self, today: datetime.date | None = None) -> MilestoneQuerySet:
        return self.exclude(status__in=Milestone.OPEN_STATUSES, due_date__lt=today or local_today())

    def due_within(self, days: int, today: datetime.date | None = None) -> MilestoneQuerySet:
        """Open milestones due from today to ``days`` days ahead."""
        today = today or local_today()
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days)
        )

    def due_status_in(
        self, statuses: list[str], today: datetime.date | None = None
    ) -> MilestoneQuerySet:
        """Milestones whose derived ``due_status`` is one of ``statuses``.

        The same rule as ``Milestone.due_status_on``, as SQL.
        """
        today = today or local_today()
        soon = today + datetime.timedelta(days=settings.REMINDER_DUE_SOON_DAYS)
        is_open = Q(status__in=Milestone.OPEN_STATUSES)
        conditions = {
            Milestone.DueStatus.DONE: Q(status=Milestone.Status.DONE),
            Milestone.DueStatus.CANCELLED: Q(status=Milestone.Status.CANCELLED),
            Milestone.DueStatus.NO_DATE: is_open & Q(due_date__isnull=True),
            Milestone.DueStatus.OVERDUE: is_open & Q(due_date__lt=today),
            Milestone.DueStatus.DUE_SOON: is_open & Q(due_date__gte=today, due_date__lte=soon),
            Milestone.DueStatus.UPCOMING: is_open & Q(due_date__gt=soon),
        }
        combined = Q(pk__in=[])
        for status in statuses:
            combined |= conditions[Milestone.DueStatus(status)]
        return self.filter(combined)


class Milestone(VersionedModel):
    """A dated commitment within an initiative.

    ``baseline_due_date`` is the first due date ever set and never changes; every later move of
    ``due_date`` records its reason (kept with each version in the history), so slippage is
    always visible.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class DueStatus(models.TextChoices):
        """Derived from the dates and status; never stored."""

        NO_DATE = "no_date", "No due date"
        UPCOMING = "upcoming", "Upcoming"
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)
    # A plain dict: the due-status rule runs for every row of a list, and reading an enum
    # member (Status.DONE) costs about as much as the rest of the rule.
    SETTLED_DUE_STATUS: dict[str, str] = {
        Status.DONE: DueStatus.DONE,
        Status.CANCELLED: DueStatus.CANCELLED,
    }

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    due_date = models.DateField(
        null=True,
        blank=True,
        validators=DATE_RANGE,
        help_text="Leave empty when no date was committed.",
    )
    baseline_due_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        validators=DATE_RANGE,
        help_text="The first due date ever set; never overwritten.",
    )
    due_date_reason = models.TextField(
        blank=True, help_text="Why the due date moved away from the baseline (required then)."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    completed_on = models.DateField(null=True, blank=True, validators=DATE_RANGE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_milestones",
        help_text="Who answers for it; receives its reminders.",
    )

    objects = MilestoneQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = [F("due_date").asc(nulls_last=True), "id"]
        constraints = [
            *dates_in_range("milestone", "due_date", "baseline_due_date", "completed_on"),
            models.CheckConstraint(
                condition=Q(status="done", completed_on__isnull=False)
                | (~Q(status="done") & Q(completed_on__isnull=True)),
                name="milestone_completed_on_iff_done",
                violation_error_message="completed_on is set exactly when status is done.",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(baseline_due_date__isnull=False),
                name="milestone_due_date_has_baseline",
                violation_error_message="baseline_due_date must be set once a due_date is.",
            ),
            models.CheckConstraint(
                condition=Q(baseline_due_date__isnull=True)
                | Q(due_date__isnull=False, due_date=F("baseline_due_date"))
                | ~Q(due_date_reason=""),
                name="milestone_moved_due_date_has_reason",
                violation_error_message=(
                    "due_date_reason: say why the due date moved from the baseline."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["initiative", "due_date"], name="milestone_initiative_due_idx"),
            models.Index(fields=["owner", "due_date"], name="milestone_owner_due_idx"),
            # The default listing order (PostgreSQL puts NULLs last in an ascending index, as
            # the order wants), and the keyset of its cursor pages, backwards too.
            models.Index(fields=["due_date", "id"], name="milestone_due_order_idx"),
            # The reminder sweep and the overdue/due-soon filters read open, dated milestones only.
            models.Index(
                fields=["due_date", "id"],
                condition=Q(status__in=_OPEN_MILESTONE, due_date__isnull=False),
                name="milestone_open_due_idx",
            ),
            # The sweep also reads open milestones changed since its last run.
            models.Index(
                fields=["updated_at"],
                condition=Q(status__in=_OPEN_MILESTONE),
                name="milestone_open_updated_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        announced_on = self.initiative.announced_on if self.initiative_id else None
        if errors := completion_date_errors(self.completed_on, announced_on):
            raise ValidationError({"completed_on": errors})

    def record_due_date_move(self, *, previous: datetime.date | None, reason: str) -> None:
        """Apply the due-date rules after ``due_date`` has been given its new value.

        The first due date ever set becomes the baseline and is never overwritten; any later
        move needs a reason, which is kept while the date differs from the baseline.
        """
        if self.due_date == previous:
            return
        if self.baseline_due_date is None:
            self.baseline_due_date = self.due_date
            return
        reason = reason.strip()
        if not reason:
            raise ValidationError({"due_date_reason": "Say why the due date moves."})
        self.due_date_reason = "" if self.due_date == self.baseline_due_date else reason

    def due_status_on(self, today: datetime.date) -> str:
        return self.due_status_of(self.status, self.due_date, today)

    @classmethod
    def due_status_of(
        cls, status: str, due_date: datetime.date | None, today: datetime.date
    ) -> str:
        """The due status of a milestone with this status and due date (also for plain rows)."""
        settled = cls.SETTLED_DUE_STATUS.get(status)
        if settled is not None:
            return settled
        if due_date is None:
            return cls.DueStatus.NO_DATE
        if due_date < today:
            return cls.DueStatus.OVERDUE
        if (due_date - today).days <= settings.REMINDER_DUE_SOON_DAYS:
            return cls.DueStatus.DUE_SOON
        return cls.DueStatus.UPCOMING

    @classmethod
    def is_overdue_of(
        cls, status: str, due_date: datetime.date | None, today: datetime.date
    ) -> bool:
        """Whether ``due_status_of`` gives OVERDUE, without working out the other statuses (a
        list shows both for every row)."""
        return due_date is not None and due_date < today and status in cls.OPEN_STATUSES

    @property
    def due_status(self) -> str:
        return self.due_status_on(local_today())

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_of(self.status, self.due_date, local_today())

    @property
    def days_slipped(self) -> int | None:
        return self.slip_between(self.due_date, self.baseline_due_date)

    @staticmethod
    def slip_between(due_date: datetime.date | None, baseline: datetime.date | None) -> int | None:
        """How many days the due date has moved from the baseline (negative: brought forward)."""
        if due_date is None or baseline is None:
            return None
        return (due_date - baseline).days


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
