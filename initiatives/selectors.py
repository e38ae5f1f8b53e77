"""Read-side queries that several outer layers share (API, admin, reminders)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Q

from initiatives.models import Agency, Initiative, Milestone

DASHBOARD_LIST_LIMIT = 50
DASHBOARD_HORIZON_DAYS = 30


def _counts(field: str, choices: list[tuple[str, str]]) -> dict[str, int]:
    counted = dict(Initiative.objects.values_list(field).annotate(n=Count("id")).order_by())
    return {value: counted.get(value, 0) for value, _ in choices}


def dashboard_summary(*, today: datetime.date) -> dict[str, Any]:
    """What a delivery office checks first: where things stand and what is late or close.

    ``on_time`` per lead agency: milestones done on or before their baseline due date, over
    the milestones (not cancelled) whose baseline due date has passed.
    """
    milestones = Milestone.objects.for_listing()
    overdue = milestones.overdue(today).order_by("due_date", "id")
    due_soon = milestones.due_within(DASHBOARD_HORIZON_DAYS, today).order_by("due_date", "id")
    # Filtering before annotating joins the relations once, inner, and restricts the rows
    # counted to those the figure is about: the aggregate PostgreSQL would be given by hand.
    summary_columns = ("id", "short_name", "name")
    lead_counts = (
        Agency.objects.filter(led_initiatives__isnull=False)
        .annotate(initiatives=Count("led_initiatives"))
        .only(*summary_columns)
        .order_by("-initiatives", "short_name")
    )
    rates = (
        Agency.objects.filter(
            led_initiatives__milestones__baseline_due_date__lt=today,
            led_initiatives__milestones__status__in=[
                *Milestone.OPEN_STATUSES,
                Milestone.Status.DONE,
            ],
        )
        .annotate(
            due=Count("led_initiatives__milestones"),
            on_time=Count(
                "led_initiatives__milestones",
                filter=Q(
                    led_initiatives__milestones__status=Milestone.Status.DONE,
                    led_initiatives__milestones__completed_on__lte=F(
                        "led_initiatives__milestones__baseline_due_date"
                    ),
                ),
            ),
        )
        .only(*summary_columns)
        .order_by("short_name")
    )
    return {
        "as_of": today,
        "initiatives_by_status": _counts("status", Initiative.Status.choices),
        "initiatives_by_confidence": _counts("confidence", Initiative.Confidence.choices),
        "initiatives_by_lead_agency": [
            {"agency": agency, "count": agency.initiatives} for agency in lead_counts
        ],
        "overdue_milestones": {
            "count": overdue.count(),
            "items": list(overdue[:DASHBOARD_LIST_LIMIT]),
        },
        "milestones_due_next_30_days": {
            "count": due_soon.count(),
            "items": list(due_soon[:DASHBOARD_LIST_LIMIT]),
        },
        "on_time_rate_by_agency": [
            {
                "agency": agency,
                "milestones_due": agency.due,
                "done_on_time": agency.on_time,
                "rate": round(agency.on_time / agency.due, 4),
            }
            for agency in rates
        ],
    }


HISTORY_CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def initiative_history(initiative: Initiative) -> list[dict[str, Any]]:
    """The audit history of ``initiative``, newest first: each saved version with who saved
    it, when, why, and which fields changed from the version before."""
    records = list(initiative.history.select_related("history_user").order_by("history_id"))
    entries = []
    for previous, record in zip([None, *records], records, strict=False):
        changes = [] if previous is None else record.diff_against(previous).changes
        entries.append(
            {
                "version": record.version,
                "changed_at": record.history_date,
                "user": record.history_user,
                "change_type": HISTORY_CHANGE_TYPES[record.history_type],
                "reason": record.history_change_reason,
                "changes": [
                    {"field": change.field, "old": change.old, "new": change.new}
                    for change in changes
                ],
            }
        )
    entries.reverse()
    return entries
