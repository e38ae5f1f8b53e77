"""Bodies that cannot be read, however malformed, are 400s that change nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from initiatives.models import Initiative, InitiativeAgency, Milestone
from tests.factories import AgencyFactory, InitiativeFactory
from tests.initiatives.api.conftest import World

NESTED = "[" * 1000 + "]" * 1000  # 2 KB, deeper than Python's recursion limit


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/initiatives/"),
        ("patch", "/api/v1/initiatives/{id}/"),
        ("post", "/api/v1/milestones/"),
        ("post", "/api/v1/initiatives/{id}/updates/"),
        ("post", "/api/v1/feed-tokens/"),
    ],
)
@pytest.mark.parametrize("body", [NESTED, '{"title": ' + NESTED + "}"])
def test_a_deeply_nested_body_is_400(
    world: World, editor: APIClient, method: str, path: str, body: str
) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = getattr(editor, method)(
        path.format(id=initiative.pk), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert Milestone.objects.count() == 0
    assert Initiative.objects.get().version == initiative.version


def test_a_supporting_agency_without_its_agency_is_400_in_a_patch(
    world: World, editor: APIClient
) -> None:
    # given an initiative with one supporting agency
    initiative = InitiativeFactory(owner_agency=world.lead)
    InitiativeAgency.objects.create(initiative=initiative, agency=AgencyFactory(), role="co_lead")
    # when a partial update sends an item without its agency
    response = editor.patch(
        f"/api/v1/initiatives/{initiative.pk}/",
        {"supporting_agencies": [{"role": "co_lead"}]},
    )
    # then the item is refused whole, naming the field, and nothing changes
    assert response.status_code == 400, response.content
    errors = response.json()["supporting_agencies"]
    assert errors == {"0": {"agency": ["This field is required."]}}  # by the item's index
    assert InitiativeAgency.objects.filter(initiative=initiative).count() == 1


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/initiatives/", "agency"),
        ("/api/v1/initiatives/", "owner_agency"),
        ("/api/v1/initiatives/", "page"),
        ("/api/v1/initiatives/", "page_size"),
        ("/api/v1/milestones/", "page_size"),
    ],
)
@pytest.mark.parametrize("value", ["¹", "①", "٣"])
def test_digits_that_are_not_ascii_are_a_400(
    editor: APIClient, path: str, parameter: str, value: str
) -> None:
    # str.isdigit says yes to them; int() refuses "¹" (a 500 found by the stateful fuzzing)
    response = editor.get(path, {parameter: value})
    assert response.status_code == 400, response.content
    assert parameter in response.json()
