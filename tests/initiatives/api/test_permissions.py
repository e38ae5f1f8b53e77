"""One table of every API write, for every kind of caller: nothing writable that should not be,
and every accepted write to an initiative or milestone leaves a history row with its actor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from initiatives.models import Initiative, Milestone
from tests.factories import (
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeFactory,
    MilestoneFactory,
)
from tests.initiatives.api.conftest import ROLES, World

LEAD_WRITERS = {"editor", "manager", "superuser"}
SUPERUSERS = {"superuser"}


def _initiative(world: World) -> Initiative:
    return InitiativeFactory(owner_agency=world.lead)


# name: (who may, builds (method, url, body) for a world, history model to check or None)
Operation = tuple[set[str], Callable[[World], tuple[str, str, dict[str, Any]]], Any]
OPERATIONS: dict[str, Operation] = {
    "create agency": (
        SUPERUSERS,
        lambda w: (
            "post",
            "/api/v1/agencies/",
            {"name": "New", "short_name": "NEW", "slug": "new"},
        ),
        None,
    ),
    "change agency": (
        SUPERUSERS,
        lambda w: ("patch", f"/api/v1/agencies/{w.lead.pk}/", {"contact_email": "d@example.org"}),
        None,
    ),
    "delete agency": (
        SUPERUSERS,
        lambda w: ("delete", f"/api/v1/agencies/{w.elsewhere.pk}/", {}),
        None,
    ),
    "create membership": (
        SUPERUSERS,
        lambda w: (
            "post",
            "/api/v1/memberships/",
            {"user": w.users["no_membership"].pk, "agency": w.lead.pk, "role": "editor"},
        ),
        None,
    ),
    "change membership": (
        SUPERUSERS,
        lambda w: (
            "patch",
            f"/api/v1/memberships/{w.users['viewer'].memberships.get().pk}/",
            {"role": "manager"},
        ),
        None,
    ),
    "delete membership": (
        SUPERUSERS,
        lambda w: ("delete", f"/api/v1/memberships/{w.users['viewer'].memberships.get().pk}/", {}),
        None,
    ),
    "create initiative": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            "/api/v1/initiatives/",
            {"title": "New", "slug": "new", "owner_agency": w.lead.pk},
        ),
        Initiative,
    ),
    "change initiative": (
        LEAD_WRITERS,
        lambda w: ("patch", f"/api/v1/initiatives/{_initiative(w).pk}/", {"confidence": "amber"}),
        Initiative,
    ),
    "replace initiative": (
        LEAD_WRITERS,
        lambda w: (
            "put",
            f"/api/v1/initiatives/{_initiative(w).pk}/",
            {"title": "Replaced", "slug": "replaced", "owner_agency": w.lead.pk},
        ),
        Initiative,
    ),
    "delete initiative": (
        LEAD_WRITERS,
        lambda w: ("delete", f"/api/v1/initiatives/{_initiative(w).pk}/", {}),
        Initiative,
    ),
    "post update on initiative": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            f"/api/v1/initiatives/{_initiative(w).pk}/updates/",
            {"body": "Going well", "progress": 10},
        ),
        Initiative,
    ),
    "post update": (
        LEAD_WRITERS,
        lambda w: ("post", "/api/v1/updates/", {"initiative": _initiative(w).pk, "body": "Note"}),
        None,
    ),
    "create milestone": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            "/api/v1/milestones/",
            {"initiative": _initiative(w).pk, "title": "Pilot", "due_date": "2031-01-01"},
        ),
        Milestone,
    ),
    "change milestone": (
        LEAD_WRITERS,
        lambda w: (
            "patch",
            f"/api/v1/milestones/{MilestoneFactory(initiative=_initiative(w)).pk}/",
            {"title": "Renamed"},
        ),
        Milestone,
    ),
    "delete milestone": (
        LEAD_WRITERS,
        lambda w: (
            "delete",
            f"/api/v1/milestones/{MilestoneFactory(initiative=_initiative(w)).pk}/",
            {},
        ),
        Milestone,
    ),
    "complete milestone": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            f"/api/v1/milestones/{MilestoneFactory(initiative=_initiative(w)).pk}/complete/",
            {},
        ),
        Milestone,
    ),
    "create indicator": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            "/api/v1/indicators/",
            {"initiative": _initiative(w).pk, "name": "Racks", "unit": "racks"},
        ),
        None,
    ),
    "change indicator": (
        LEAD_WRITERS,
        lambda w: (
            "patch",
            f"/api/v1/indicators/{IndicatorFactory(initiative=_initiative(w)).pk}/",
            {"unit": "standard racks"},
        ),
        None,
    ),
    "delete indicator": (
        LEAD_WRITERS,
        lambda w: (
            "delete",
            f"/api/v1/indicators/{IndicatorFactory(initiative=_initiative(w)).pk}/",
            {},
        ),
        None,
    ),
    "create reading": (
        LEAD_WRITERS,
        lambda w: (
            "post",
            "/api/v1/readings/",
            {
                "indicator": IndicatorFactory(initiative=_initiative(w)).pk,
                "observed_on": "2024-01-01",
                "value": "6500000",
                "qualifier": "more_than",
            },
        ),
        None,
    ),
    "change reading": (
        LEAD_WRITERS,
        lambda w: (
            "patch",
            f"/api/v1/readings/{IndicatorReadingFactory(indicator__initiative=_initiative(w)).pk}/",
            {"value": "7000000"},
        ),
        None,
    ),
    "delete reading": (
        LEAD_WRITERS,
        lambda w: (
            "delete",
            f"/api/v1/readings/{IndicatorReadingFactory(indicator__initiative=_initiative(w)).pk}/",
            {},
        ),
        None,
    ),
}


@pytest.fixture(scope="module")
def documented_statuses() -> dict[tuple[str, str], set[str]]:
    """(method, path template) -> the status codes the OpenAPI schema documents."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path): set(operation["responses"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_write_permissions(
    world: World,
    operation: str,
    role: str,
    documented_statuses: dict[tuple[str, str], set[str]],
) -> None:
    # given
    allowed, build, history_model = OPERATIONS[operation]
    method, url, body = build(world)
    client = world.client(role)
    history_before = history_model.history.count() if history_model else 0
    # when
    response = getattr(client, method)(url, body, format="json")
    # then
    if role == "anonymous":
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Bearer"
    elif role not in allowed:
        assert response.status_code == 403, response.content
    else:
        assert 200 <= response.status_code < 300, response.content
        if history_model is not None:
            latest = history_model.history.order_by("-history_id").first()
            assert history_model.history.count() > history_before
            assert latest.history_user == world.users[role]
    if role not in allowed and history_model is not None:
        assert history_model.history.count() == history_before
    # and the answer is one the schema documents for this operation
    template = re.sub(r"/\d+/", "/{id}/", url)
    assert str(response.status_code) in documented_statuses[(method, template)]


def test_moving_an_initiative_to_an_agency_one_cannot_edit_is_refused(world: World) -> None:
    initiative = _initiative(world)
    response = world.client("editor").patch(
        f"/api/v1/initiatives/{initiative.pk}/", {"owner_agency": world.elsewhere.pk}
    )
    assert response.status_code == 403
    initiative.refresh_from_db()
    assert initiative.owner_agency == world.lead


@pytest.mark.parametrize("role", ["no_membership", "viewer", "editor_elsewhere", "superuser"])
def test_every_signed_in_user_reads_everything(world: World, role: str) -> None:
    initiative = _initiative(world)
    client = world.client(role)
    assert client.get("/api/v1/initiatives/").status_code == 200
    assert client.get(f"/api/v1/initiatives/{initiative.pk}/").status_code == 200


def test_anonymous_reads_only_when_the_deployment_makes_data_public(world: World) -> None:
    initiative = _initiative(world)
    anonymous = world.client("anonymous")
    assert anonymous.get("/api/v1/initiatives/").status_code == 401
    with override_settings(API_PUBLIC_READ=True):
        assert anonymous.get("/api/v1/initiatives/").status_code == 200
        assert anonymous.get(f"/api/v1/initiatives/{initiative.pk}/").status_code == 200
        response = anonymous.patch(f"/api/v1/initiatives/{initiative.pk}/", {"progress": 5})
        assert response.status_code == 401


def test_absent_resources_are_404(world: World) -> None:
    client = world.client("superuser")
    assert client.get("/api/v1/initiatives/999999/").status_code == 404
    assert client.patch("/api/v1/milestones/999999/", {"title": "x"}).status_code == 404
    assert client.post("/api/v1/milestones/999999/complete/", {}).status_code == 404


def test_memberships_are_visible_to_their_holder_and_superusers(world: World) -> None:
    mine = world.client("editor").get("/api/v1/memberships/").json()["results"]
    assert [row["user"]["id"] for row in mine] == [world.users["editor"].pk]
    everyone = world.client("superuser").get("/api/v1/memberships/").json()
    assert everyone["count"] == 4
    assert world.client("no_membership").get("/api/v1/memberships/").json()["count"] == 0
