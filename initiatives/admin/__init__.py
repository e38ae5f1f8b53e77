"""The staff admin: the delivery office's whole interface.

Each staff user sees the work of the agencies they belong to: editors and managers change it,
viewers read it, superusers see and change everything (``initiatives.access`` decides; a new
staff user needs nothing but a membership). Changes go through the same rules and services as
the API: ModelForms validate the database constraints, the due-date rule lives on ``Milestone``,
progress updates and completions are posted through ``initiatives.services``, and initiative and
milestone changes land in the audit history (the "History" button on each).

One module a domain, each registering its admins when imported: ``base`` (scoping by
membership, list badges), ``reference`` (agencies, memberships, sources, tags, users),
``initiatives`` (initiatives, their inlines, progress updates, indicators), ``milestones``
and ``security`` (sign-in records, access tokens).
"""

from __future__ import annotations

from initiatives.admin import initiatives, milestones, reference, security

__all__ = ["initiatives", "milestones", "reference", "security"]
