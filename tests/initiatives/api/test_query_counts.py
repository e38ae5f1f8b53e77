"""Every list endpoint runs the same number of SQL queries for 1 row as for 100."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    SourceFactory,
)
from tests.initiatives.api.conftest import World


def _initiative(world: World) -> Any:
    initiative = InitiativeFactory(owner_agency=world.lead)
    InitiativeAgencyFactory(initiative=initiative)
    MilestoneFactory(initiative=initiative)
    initiative.citations.create(source=SourceFactory(), excerpt="quoted")
    return initiative


BUILDERS: dict[str, Callable[[World], Any]] = {
    "agencies": lambda w: AgencyFactory(parent=w.lead),
    "initiatives": _initiative,
    "milestones": lambda w: MilestoneFactory(owner=w.users["editor"]),
    "updates": lambda w: ProgressUpdateFactory(author=w.users["editor"]),
    "indicators": lambda w: IndicatorFactory(),
    "readings": lambda w: IndicatorReadingFactory(source=SourceFactory(), excerpt="quoted"),
}


def queries_for(client: APIClient, endpoint: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": 200})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("endpoint", sorted(BUILDERS))
def test_list_queries_do_not_grow_with_rows(world: World, endpoint: str) -> None:
    client = world.client("superuser")
    client.get("/api/v1/")  # the token's first use is recorded once; keep it out of the count
    BUILDERS[endpoint](world)
    with_one = queries_for(client, endpoint)
    for _ in range(99):
        BUILDERS[endpoint](world)
    assert queries_for(client, endpoint) == with_one


@pytest.mark.parametrize("endpoint", ["milestones", "updates", "readings"])
def test_cursor_lists_never_count_rows(world: World, endpoint: str) -> None:
    BUILDERS[endpoint](world)
    with CaptureQueriesContext(connection) as captured:
        world.client("superuser").get(f"/api/v1/{endpoint}/")
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
