"""The reminder ledger: the outbox of deadline reminders.

One row per (milestone, recipient, slot, due date), unique in the database, so planning the same
reminder twice (a second sweep, two sweeps at once, a retried task) adds nothing. Sending marks
each row right after its own message went out; a row a dead worker had claimed is taken again
once its lease runs out. A broker outage only leaves rows pending here until the next dispatch.
A reminder the recipient rule finds nobody for is a row too, ``unreached``, without a recipient
and with why, so that staff see it instead of its being dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from initiatives.models import Milestone


class Reminder(models.Model):
    """One reminder about one milestone to one recipient, for one slot of one due date."""

    class Level(models.TextChoices):
        NOTICE = "notice", "Notice (before the deadline)"
        WARNING = "warning", "Warning (due today)"
        OVERDUE = "overdue", "Overdue"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (milestone done or cancelled by then)"
        FAILED = "failed", "Failed (gave up after retries)"
        UNREACHED = "unreached", "Unreached (nobody to send it to; see why)"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.EmailField(
        blank=True,
        help_text="The address the digest goes to; empty when the reminder reaches nobody.",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    slot = models.CharField(max_length=32, help_text='e.g. "lead-7", "due", "overdue-2".')
    due_date = models.DateField(help_text="The due date this reminder is about.")
    level = models.CharField(max_length=10, choices=Level.choices)
    escalated = models.BooleanField(default=False)
    planned_on = models.DateField(help_text="The day (in TIME_ZONE) the sweep planned it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(
        blank=True, help_text="Why the last send failed, or why the reminder reaches nobody."
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A sender holds the row until then."
    )
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "recipient", "slot", "due_date"],
                name="reminder_once_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="reminder_sent_at_iff_sent",
                violation_error_message="sent_at is set exactly when status is sent.",
            ),
            models.CheckConstraint(
                condition=Q(status="unreached", recipient="")
                | (~Q(status="unreached") & ~Q(recipient="")),
                name="reminder_recipient_unless_unreached",
                violation_error_message="The recipient is empty exactly when nobody is reached.",
            ),
        ]
        indexes = [
            # The dispatcher and the senders look for pending rows by recipient.
            models.Index(
                fields=["recipient", "id"],
                condition=Q(status="pending"),
                name="reminder_pending_idx",
            ),
            models.Index(fields=["milestone", "-created_at"], name="reminder_milestone_idx"),
            models.Index(fields=["planned_on"], name="reminder_planned_on_idx"),
            # The few reminders that reach nobody, for the sweep's report and the admin's.
            models.Index(
                fields=["planned_on"],
                condition=Q(status="unreached"),
                name="reminder_unreached_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} to {self.recipient} about {self.milestone_id} ({self.slot})"


class ReminderSweep(models.Model):
    """A run of the reminder sweep: what it planned, for which day."""

    planned_on = models.DateField(help_text="The day (in TIME_ZONE) it planned for.")
    # The application's clock, like the updated_at it is compared with (not the database's).
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    planned = models.PositiveIntegerField(
        default=0, help_text="Reminders to send it added to the ledger."
    )

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Sweep for {self.planned_on} ({self.planned} planned)"
