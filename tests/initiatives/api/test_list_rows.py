"""A list page, read as plain rows, shows each row exactly as its detail does."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives.models import InitiativeSource, Tag
from tests.factories import (
    InitiativeAgencyFactory,
    InitiativeFactory,
    MilestoneFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def list_and_details(path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = APIClient()
    client.force_authenticate(UserFactory(username="reader"))
    page = client.get(f"/api/v1/{path}/", {"page_size": 200})
    assert page.status_code == 200
    items = page.json()["results"]
    details = [client.get(f"/api/v1/{path}/{item['id']}/").json() for item in items]
    return items, details


def test_every_initiative_of_a_list_is_its_detail() -> None:
    # given initiatives with and without every relation and date
    parent = InitiativeFactory()
    replacement = InitiativeFactory()
    full = InitiativeFactory(
        parent=parent,
        superseded_by=replacement,
        status="superseded",
        announced_on=datetime.date(2023, 3, 1),
        start_date=datetime.date(2023, 4, 1),
        target_date=datetime.date(2025, 12, 31),
        progress=35,
        theme="Intelligent manufacturing",
    )
    for role in ("participating", "co_lead"):
        InitiativeAgencyFactory(initiative=full, role=role)
    full.tags.add(Tag.objects.create(name="Zeta", slug="zeta"))
    full.tags.add(Tag.objects.create(name="Alpha", slug="alpha"))
    for excerpt in ("second", "first"):
        source = SourceFactory(published_on=datetime.date(2023, 3, 2))
        InitiativeSource.objects.create(initiative=full, source=source, excerpt=excerpt, speaker="")
    MilestoneFactory(initiative=full, due_date=datetime.date(2020, 1, 1))  # overdue
    MilestoneFactory(initiative=full, due_date=timezone.localdate() + datetime.timedelta(days=9))
    InitiativeFactory(status="completed", completed_on=datetime.date(2024, 5, 6), progress=100)

    # when the list and each detail are read
    items, details = list_and_details("initiatives")

    # then each list item is its detail, field for field and in the same order
    assert len(items) == 4
    for item, detail in zip(items, details, strict=True):
        assert list(item) == list(detail)
        assert item == detail
    shown = next(item for item in items if item["id"] == full.pk)
    assert shown["tags"] == ["alpha", "zeta"]
    assert [c["excerpt"] for c in shown["citations"]] == ["second", "first"]
    assert shown["open_milestones"] == 2
    assert shown["overdue_milestones"] == 1


def test_every_milestone_of_a_list_is_its_detail() -> None:
    # given milestones of every due status, with and without owner, baseline and dates
    today = timezone.localdate()
    owner = UserFactory(username="xin")
    MilestoneFactory(due_date=None, baseline_due_date=None)
    MilestoneFactory(due_date=today - datetime.timedelta(days=3), owner=owner)
    MilestoneFactory(
        due_date=today + datetime.timedelta(days=40),
        baseline_due_date=today + datetime.timedelta(days=10),
        due_date_reason="Supplier late",
    )
    MilestoneFactory(status="done", completed_on=today, due_date=today)
    MilestoneFactory(status="cancelled", due_date=today + datetime.timedelta(days=2))

    # when the list and each detail are read
    items, details = list_and_details("milestones")

    # then each list item is its detail
    assert len(items) == 5
    for item, detail in zip(items, details, strict=True):
        assert list(item) == list(detail)
        assert item == detail
    assert {item["due_status"] for item in items} >= {"overdue", "done", "cancelled"}
    assert any(item["days_slipped"] == 30 for item in items)
