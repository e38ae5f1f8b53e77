"""The progress timeline is append-only; indicators and readings round-trip their figures."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from initiatives.models import ProgressUpdate
from tests.factories import IndicatorFactory, InitiativeFactory, ProgressUpdateFactory
from tests.initiatives.api.conftest import World


def test_updates_are_append_only(world: World, editor: APIClient) -> None:
    update = ProgressUpdateFactory(initiative=InitiativeFactory(owner_agency=world.lead))
    url = f"/api/v1/updates/{update.pk}/"
    assert editor.put(url, {"body": "rewritten"}).status_code == 405
    assert editor.patch(url, {"body": "rewritten"}).status_code == 405
    assert editor.delete(url).status_code == 405
    update.refresh_from_db()
    assert update.body == "Work is under way."


def test_posting_to_the_timeline_applies_the_changes(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.post(
        "/api/v1/updates/",
        {"initiative": initiative.pk, "body": "Stalled on funding", "status": "stalled"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["author"]["username"] == world.users["editor"].username
    initiative.refresh_from_db()
    assert initiative.status == "stalled"
    assert ProgressUpdate.objects.get().status == "stalled"


def test_timeline_is_newest_first_and_filterable(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    older, newer = ProgressUpdateFactory.create_batch(2, initiative=initiative)
    ProgressUpdateFactory()
    rows = editor.get("/api/v1/updates/", {"initiative": initiative.pk}).json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]


def test_reading_keeps_decimal_value_and_qualifier(world: World, editor: APIClient) -> None:
    indicator = IndicatorFactory(initiative=InitiativeFactory(owner_agency=world.lead))
    response = editor.post(
        "/api/v1/readings/",
        {
            "indicator": indicator.pk,
            "observed_on": "2023-03-01",
            "value": "2310000.5",
            "qualifier": "more_than",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["value"], body["qualifier"]) == ("2310000.5000", "more_than")
    assert body["indicator"] == {"id": indicator.pk, "name": indicator.name, "unit": indicator.unit}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "lots"}, "value"),
        ({"qualifier": "roughly"}, "qualifier"),
        ({"observed_on": "2023-02-30"}, "observed_on"),
    ],
)
def test_bad_reading_is_a_400_naming_the_field(
    world: World, editor: APIClient, body: dict[str, str], field: str
) -> None:
    indicator = IndicatorFactory(initiative=InitiativeFactory(owner_agency=world.lead))
    data = {"indicator": indicator.pk, "observed_on": "2023-03-01", "value": "1", **body}
    response = editor.post("/api/v1/readings/", data)
    assert response.status_code == 400
    assert field in response.json()


def test_indicator_target_rules_are_checked_before_saving(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.post(
        "/api/v1/indicators/",
        {"initiative": initiative.pk, "name": "Racks", "unit": "racks", "kind": "binding"},
    )
    assert response.status_code == 400
    assert "target_value" in response.content.decode()
