"""The admin's forms as a browser posts them: every field of the form, and the management data
of each inline formset (the admin refuses a change form without it)."""

from __future__ import annotations

import datetime
from typing import Any

from initiatives.models import Initiative, Milestone

# The inline formsets of the initiative change form, by prefix.
INITIATIVE_INLINES = ("updates", "milestones", "agency_roles", "indicators", "citations")


def iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def inline_rows(prefix: str, *rows: dict[str, Any], initial: int = 0) -> dict[str, Any]:
    """An inline formset's management data and its rows (the first ``initial`` are stored)."""
    data: dict[str, Any] = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for number, row in enumerate(rows):
        data |= {f"{prefix}-{number}-{key}": value for key, value in row.items()}
    return data


def initiative_form(initiative: Initiative, **changes: Any) -> dict[str, Any]:
    """The initiative's change form (or, for an unsaved one, its add form), no inline rows."""
    data: dict[str, Any] = {
        "title": initiative.title,
        "slug": initiative.slug,
        "summary": initiative.summary,
        "owner_agency": initiative.owner_agency_id,
        "parent": initiative.parent_id or "",
        "theme": initiative.theme,
        "status": initiative.status,
        "superseded_by": initiative.superseded_by_id or "",
        "confidence": initiative.confidence,
        "progress": initiative.progress,
        "completed_on": iso(initiative.completed_on),
        "announced_on": iso(initiative.announced_on),
        "start_date": iso(initiative.start_date),
        "target_date": iso(initiative.target_date),
        "notes": initiative.notes,
    }
    for prefix in INITIATIVE_INLINES:
        data |= inline_rows(prefix)
    return data | changes


def milestone_form(milestone: Milestone, **changes: Any) -> dict[str, Any]:
    """The milestone's form (as a page of its own or a row of the initiative's inline)."""
    data = {
        "initiative": milestone.initiative_id,
        "title": milestone.title,
        "description": milestone.description,
        "due_date": iso(milestone.due_date),
        "move_reason": "",
        "owner": milestone.owner_id or "",
        "status": milestone.status,
        "completed_on": iso(milestone.completed_on),
    }
    return data | changes
