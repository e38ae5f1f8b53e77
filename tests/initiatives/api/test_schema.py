"""The OpenAPI schema is valid and says what the API really answers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tests.factories import IndicatorReadingFactory, MilestoneFactory, ProgressUpdateFactory
from tests.initiatives.api.conftest import World, assert_not_served


@pytest.fixture
def schema(world: World) -> dict[str, Any]:
    response = world.client("superuser").get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi"
    )
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_validates(schema: dict[str, Any]) -> None:
    validate(schema)


def test_schema_generates_without_warnings(capsys: Any, tmp_path: Any) -> None:
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yaml"))


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, (method, path)
            if method != "get":
                assert {"400", "403"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            if re.fullmatch(r"/api/v1/(initiatives|milestones)/\{id\}/", path) and method != "get":
                assert "412" in codes, (method, path)


EXPORTS = {"/api/v1/initiatives/export/", "/api/v1/milestones/export/"}


def test_each_operation_claims_only_the_media_types_it_answers(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                media_types = set(response.get("content", {}))
                if code.startswith("2") and path in EXPORTS:
                    expected = {"text/csv"}
                elif code.startswith("2") and path == "/api/v1/calendar.ics":
                    expected = {"text/calendar"}
                elif code in ("204", "304"):
                    expected = set()
                else:  # every other answer, errors included, is JSON
                    expected = {"application/json"}
                assert media_types == expected, (method, path, code)


@pytest.mark.parametrize("collection", ["initiatives", "milestones"])
def test_the_csv_export_is_an_operation_of_its_own(schema: dict[str, Any], collection: str) -> None:
    listing = schema["paths"][f"/api/v1/{collection}/"]["get"]
    export = schema["paths"][f"/api/v1/{collection}/export/"]["get"]
    assert export["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}
    filters = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    pages = {"page", "page_size", "cursor"}
    assert {p["name"] for p in export["parameters"] if p["in"] == "query"} == filters - pages
    assert "format" not in filters


def test_every_documented_read_answers_as_documented(world: World, schema: dict[str, Any]) -> None:
    # given one row of everything
    milestone = MilestoneFactory(initiative__owner_agency=world.lead)
    ProgressUpdateFactory(initiative=milestone.initiative)
    reading = IndicatorReadingFactory(indicator__initiative=milestone.initiative)
    ids = {
        "agencies": world.lead.pk,
        "memberships": world.users["editor"].memberships.get().pk,
        "initiatives": milestone.initiative_id,
        "milestones": milestone.pk,
        "updates": milestone.initiative.updates.get().pk,
        "indicators": reading.indicator_id,
        "readings": reading.pk,
    }
    client: APIClient = world.client("superuser")
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        if "get" not in operations or path.endswith("/schema/"):
            continue
        collection = path.split("/")[3]
        url = path.replace("{id}", str(ids[collection])) if "{id}" in path else path
        # when
        response = client.get(url)
        # then the status and media type are documented, and a JSON body has exactly the
        # documented fields
        documented = operations["get"]["responses"]
        assert str(response.status_code) in documented, url
        media_type = response["Content-Type"].split(";")[0]
        assert media_type in documented[str(response.status_code)]["content"], url
        if media_type != "application/json":
            continue
        content = documented[str(response.status_code)]["content"][media_type]["schema"]
        body = response.json()
        if "$ref" not in content:
            item = content["items"]["$ref"].split("/")[-1]
            body = body[0] if body else None
            if body is not None:
                assert set(body) == set(components[item]["properties"]), url
            continue
        component = components[content["$ref"].split("/")[-1]]
        assert set(body) == set(component["properties"]), url
        if "results" in component["properties"]:
            item = component["properties"]["results"]["items"]["$ref"].split("/")[-1]
            assert set(body["results"][0]) == set(components[item]["properties"]), url


class TestSchemaFormats:
    URL = "/api/v1/schema/"

    def test_yaml_by_default(self, editor: APIClient) -> None:
        response = editor.get(self.URL)
        assert response["Content-Type"].startswith("application/vnd.oai.openapi")
        assert "openapi" in yaml.safe_load(response.content)

    @pytest.mark.parametrize(
        ("query", "accept"),
        [
            ({"format": "json"}, None),
            ({}, "application/json"),
            ({}, "application/vnd.oai.openapi+json"),
        ],
    )
    def test_json_when_asked(
        self, editor: APIClient, query: dict[str, str], accept: str | None
    ) -> None:
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = editor.get(self.URL, query, **headers)
        assert response.status_code == 200
        media_type = response["Content-Type"].split(";")[0]
        assert media_type in ("application/json", "application/vnd.oai.openapi+json")
        assert "openapi" in json.loads(response.content)

    def test_yaml_when_asked_by_format(self, editor: APIClient) -> None:
        response = editor.get(self.URL, {"format": "yaml"})
        assert response["Content-Type"].startswith("application/vnd.oai.openapi")
        assert "openapi" in yaml.safe_load(response.content)

    def test_other_formats_are_a_406_in_json(self, editor: APIClient) -> None:
        assert_not_served(editor.get(self.URL, {"format": "csv"}), "csv", "yaml, json")
