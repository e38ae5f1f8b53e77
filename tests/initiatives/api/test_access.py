"""Who reads what through the API, and the refusals the write matrix does not spell out.

Every write, for every kind of caller, is in the one table of
``tests/contracts/test_permission_matrix.py``.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from initiatives.models import Initiative
from tests.factories import InitiativeFactory
from tests.initiatives.api.conftest import World


def _initiative(world: World) -> Initiative:
    return InitiativeFactory(owner_agency=world.lead)


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
