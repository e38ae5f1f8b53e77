"""Every path answers the formats it serves, picked by Accept or ``?format=``; any other format is
a 406 in JSON that names the parameter and what the path serves."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import MilestoneFactory
from tests.initiatives.api.conftest import World, assert_not_served


@pytest.fixture
def ids(world: World) -> dict[str, int]:
    milestone = MilestoneFactory(initiative__owner_agency=world.lead)
    return {"initiative": milestone.initiative_id, "milestone": milestone.pk}


def paths(ids: dict[str, int]) -> dict[str, str]:
    initiative, milestone = ids["initiative"], ids["milestone"]
    return {
        "initiative list": "/api/v1/initiatives/",
        "initiative detail": f"/api/v1/initiatives/{initiative}/",
        "initiative history": f"/api/v1/initiatives/{initiative}/history/",
        "milestone list": "/api/v1/milestones/",
        "milestone detail": f"/api/v1/milestones/{milestone}/",
        "agency list": "/api/v1/agencies/",
        "dashboard": "/api/v1/dashboard/",
    }


JSON_PATHS = [
    "initiative list",
    "initiative detail",
    "initiative history",
    "milestone list",
    "milestone detail",
    "agency list",
    "dashboard",
]


@pytest.mark.parametrize("name", JSON_PATHS)
@pytest.mark.parametrize("wanted", ["csv", "xml", "ics"])
def test_a_format_a_json_path_does_not_serve_is_a_406_naming_it(
    editor: APIClient, ids: dict[str, int], name: str, wanted: str
) -> None:
    # Formerly ?format=csv on a detail or history answered 200 with a Python dict printout.
    response = editor.get(paths(ids)[name], {"format": wanted})
    assert_not_served(response, wanted, "json, api")


@pytest.mark.parametrize("name", JSON_PATHS)
def test_the_formats_a_json_path_serves(editor: APIClient, ids: dict[str, int], name: str) -> None:
    url = paths(ids)[name]
    as_json = editor.get(url, {"format": "json"})
    assert (as_json.status_code, as_json["Content-Type"]) == (200, "application/json")
    assert as_json.json() == editor.get(url).json()
    browsable = editor.get(url, {"format": "api"})
    assert browsable.status_code == 200
    assert browsable["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("collection", ["initiatives", "milestones"])
def test_csv_of_a_list_points_at_its_export_with_the_same_filters(
    editor: APIClient, ids: dict[str, int], collection: str
) -> None:
    response = editor.get(f"/api/v1/{collection}/", {"format": "csv", "status": "in_progress"})
    message = assert_not_served(response, "csv", "json, api")
    assert message.endswith(f"GET /api/v1/{collection}/export/?status=in_progress")


@pytest.mark.parametrize("collection", ["initiatives", "milestones"])
def test_the_export_serves_csv_only(
    editor: APIClient, ids: dict[str, int], collection: str
) -> None:
    url = f"/api/v1/{collection}/export/"
    for query in ({}, {"format": "csv"}):
        response = editor.get(url, query)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert_not_served(editor.get(url, {"format": "json"}), "json", "csv")
    refused = editor.get(url, HTTP_ACCEPT="application/json")
    assert (refused.status_code, refused["Content-Type"]) == (406, "application/json")
    assert "text/csv" in refused.json()["detail"]


def test_the_calendar_feed_serves_icalendar_only(editor: APIClient) -> None:
    assert editor.get("/api/v1/calendar.ics", {"format": "ics"}).status_code == 200
    assert_not_served(editor.get("/api/v1/calendar.ics", {"format": "json"}), "json", "ics")


def test_an_unknown_format_on_a_write_is_refused_before_anything_changes(
    editor: APIClient, ids: dict[str, int]
) -> None:
    url = f"/api/v1/initiatives/{ids['initiative']}/?format=csv"
    response = editor.patch(url, {"progress": 55}, format="json")
    assert_not_served(response, "csv", "json, api")
    assert editor.get(url.split("?")[0]).json()["progress"] != 55
