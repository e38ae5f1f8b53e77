"""Milestones: the dated commitments within an initiative."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from initiatives.dates import DATE_RANGE, dates_in_range, local_today
from initiatives.models.base import VersionedModel, completion_date_errors
from initiatives.models.initiatives import Initiative

# Meta cannot see the class body; the test suite checks this matches Milestone.OPEN_STATUSES.
_OPEN_MILESTONE = ["planned", "in_progress"]


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
        move needs a reason, which is kept while the date differs from the baseline. A new
        reason without a move is refused: it would explain nothing.
        """
        reason = reason.strip()
        if self.due_date == previous:
            if reason and reason != self.due_date_reason:
                raise ValidationError(
                    {"due_date_reason": "Give a reason together with a new due date."}
                )
            return
        if self.baseline_due_date is None:
            self.baseline_due_date = self.due_date
            return
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
