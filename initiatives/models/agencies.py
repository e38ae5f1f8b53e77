"""Government units and the people who work for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from initiatives.models.base import TimestampedModel


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
