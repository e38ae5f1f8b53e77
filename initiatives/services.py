"""State changes of the domain, one named function each.

Views, admin actions, tasks and commands call these; none of them changes an initiative or a
milestone any other way. Each function validates the rows it writes against the model's
constraints first (so a broken rule is a ``ValidationError`` naming the field, not an
``IntegrityError``), writes in one transaction, and records who acted in the audit history.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from initiatives.dates import local_today
from initiatives.models import Initiative, InitiativeAgency, Milestone, ProgressUpdate


def _save_with_history(
    instance: models.Model, *, actor: Any | None, reason: str = "", exclude: list[str] | None = None
) -> None:
    """Validate, then save through ``save()`` so the version moves and history is written."""
    instance.full_clean(exclude=exclude)
    # simple-history reads these when it writes the history row for this save.
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()


@transaction.atomic
def initiative_create(
    *,
    actor: Any | None,
    supporting_agencies: list[dict[str, Any]] | None = None,
    tags: list[Any] | None = None,
    **fields: Any,
) -> Initiative:
    """Add an initiative (``fields`` are its model fields) with its supporting agencies
    (``[{"agency": Agency, "role": str}]``) and tags."""
    initiative = Initiative(**fields)
    _save_with_history(initiative, actor=actor)
    _set_relations(initiative, supporting_agencies=supporting_agencies, tags=tags)
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    actor: Any | None,
    changes: dict[str, Any],
    supporting_agencies: list[dict[str, Any]] | None = None,
    tags: list[Any] | None = None,
) -> Initiative:
    """Change an initiative's model fields (``changes``), and its supporting agencies or tags
    when given."""
    for name, value in changes.items():
        setattr(initiative, name, value)
    _save_with_history(initiative, actor=actor)
    _set_relations(initiative, supporting_agencies=supporting_agencies, tags=tags)
    return initiative


def _set_relations(
    initiative: Initiative,
    *,
    supporting_agencies: list[dict[str, Any]] | None,
    tags: list[Any] | None,
) -> None:
    if supporting_agencies is not None:
        initiative_set_supporting_agencies(initiative=initiative, roles=supporting_agencies)
    if tags is not None:
        initiative.tags.set(tags)


@transaction.atomic
def milestone_create(
    *,
    initiative: Initiative,
    title: str,
    actor: Any | None,
    due_date: datetime.date | None = None,
    **fields: Any,
) -> Milestone:
    """Add a milestone (``fields``: its other model fields); its first due date becomes its
    baseline."""
    milestone = Milestone(initiative=initiative, title=title, **fields)
    milestone.due_date = due_date
    milestone.record_due_date_move(previous=None, reason="")
    _save_with_history(milestone, actor=actor)
    return milestone


@transaction.atomic
def milestone_update(
    *, milestone: Milestone, actor: Any | None, changes: dict[str, Any], due_date_reason: str = ""
) -> Milestone:
    """Change a milestone's model fields (``changes``). A new due date follows the due-date
    rule (``Milestone.record_due_date_move``) and its reason goes into the history."""
    previous = milestone.due_date
    for name, value in changes.items():
        setattr(milestone, name, value)
    milestone.record_due_date_move(previous=previous, reason=due_date_reason)
    moved = milestone.due_date != previous
    _save_with_history(milestone, actor=actor, reason=due_date_reason.strip() if moved else "")
    return milestone


def milestone_move_due_date(
    *, milestone: Milestone, due_date: datetime.date | None, reason: str, actor: Any | None
) -> Milestone:
    """Move a milestone's due date, recording why; the same date again saves nothing."""
    if due_date == milestone.due_date:
        return milestone
    return milestone_update(
        milestone=milestone, actor=actor, changes={"due_date": due_date}, due_date_reason=reason
    )


@transaction.atomic
def milestone_complete(
    *, milestone: Milestone, actor: Any | None, completed_on: datetime.date | None = None
) -> Milestone:
    """Mark a milestone done on ``completed_on`` (default: today in TIME_ZONE)."""
    if milestone.status == Milestone.Status.CANCELLED:
        raise ValidationError({"status": "A cancelled milestone cannot be completed."})
    milestone.status = Milestone.Status.DONE
    milestone.completed_on = completed_on or local_today()
    _save_with_history(milestone, actor=actor)
    return milestone


@transaction.atomic
def progress_update_post(
    *,
    initiative: Initiative,
    author: Any | None,
    body: str,
    status: str = "",
    confidence: str = "",
    progress: int | None = None,
    completed_on: datetime.date | None = None,
    superseded_by: Initiative | None = None,
) -> ProgressUpdate:
    """Append a progress update; the status, confidence or progress it sets apply at once.

    A status of completed or partially completed dates the completion (default: today);
    leaving those statuses clears it. Superseded needs the initiative that supersedes it.
    """
    update = ProgressUpdate(
        initiative=initiative,
        author=author,
        body=body,
        status=status,
        confidence=confidence,
        progress=progress,
    )
    update.full_clean(exclude=["initiative"])

    changed = initiative.apply_update(
        status=status,
        confidence=confidence,
        progress=progress,
        completed_on=completed_on,
        superseded_by=superseded_by,
    )
    if changed:
        _save_with_history(initiative, actor=author, reason=f"Progress update: {body[:80]}")
    update.save()
    return update


@transaction.atomic
def initiative_set_supporting_agencies(
    *, initiative: Initiative, roles: list[dict[str, Any]]
) -> None:
    """Make the supporting agencies exactly ``roles`` (``[{"agency": Agency, "role": str}]``).

    Rows are saved and deleted one by one, so each change is in the history.
    """
    wanted: dict[int, str] = {entry["agency"].pk: entry["role"] for entry in roles}
    for current in list(initiative.agency_roles.all()):
        role = wanted.pop(current.agency_id, None)
        if role is None:
            current.delete()
        elif role != current.role:
            current.role = role
            current.save()
    for agency_id, role in wanted.items():
        InitiativeAgency.objects.create(initiative=initiative, agency_id=agency_id, role=role)
