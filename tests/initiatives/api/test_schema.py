"""The OpenAPI schema is valid and says what the API really answers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from openapi_schema_validator import OAS31Validator
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


def nodes(node: Any) -> Any:
    """Every mapping in ``node``, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


def test_path_ids_are_the_integers_the_bodies_carry(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"]["type"] == "integer", (method, path)
    for name, component in schema["components"]["schemas"].items():
        if "id" in component.get("properties", {}):
            assert component["properties"]["id"]["type"] == "integer", name


def test_null_is_said_the_way_the_schema_version_reads_it(schema: dict[str, Any]) -> None:
    # OpenAPI 3.1: "nullable" is no keyword (3.0's needed a type beside it, so the nullable
    # references of parent, superseded_by and Agency.parent allowed no null at all).
    assert schema["openapi"].startswith("3.1.")
    assert not [node for node in nodes(schema) if "nullable" in node]
    components = schema["components"]["schemas"]
    summary = {"id": 1, "title": "A programme"}
    for component, field, value in [
        ("Initiative", "parent", summary),
        ("Initiative", "superseded_by", summary),
        ("Agency", "parent", {"id": 1, "short_name": "MIIT", "name": "Ministry"}),
    ]:
        field_schema = {
            **components[component]["properties"][field],
            "components": schema["components"],
        }
        for instance in (None, value):
            OAS31Validator(field_schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(
                instance
            )


def test_no_value_matches_two_branches_of_a_one_of(schema: dict[str, Any]) -> None:
    # A blank URL or email address matched both branches of drf-spectacular's oneOf. Formats
    # are annotations unless a validator is told to assert them (JSON Schema 2020-12), so the
    # branches are checked without: they must differ by more than a format.
    samples = ["", "x", "https://example.org/", "office@example.org", None, 0]
    document = {"components": schema["components"]}
    for node in nodes(schema):
        for value in samples if "oneOf" in node else ():
            matching = [
                branch
                for branch in node["oneOf"]
                if OAS31Validator({**branch, **document}).is_valid(value)
            ]
            assert len(matching) <= 1, (node, value)


def test_a_stale_if_match_is_documented_with_its_body(schema: dict[str, Any]) -> None:
    stale = [
        operation["responses"]["412"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "412" in operation["responses"]
    ]
    assert len(stale) >= 6  # updates, partial updates, deletes, and the actions
    for response in stale:
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


# Words of the maintainers' docstrings (row rendering, locking), never of a front-end's docs.
INTERNAL = re.compile(r"serializer|queryset|compiled|per-field|mixin|row plan|TIME_ZONE", re.I)


def test_descriptions_are_written_for_front_end_developers(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), (method, path)  # none vanished
    for node in nodes(schema):
        description = node.get("description")
        if isinstance(description, str):
            assert not INTERNAL.search(description), description


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

    def test_swagger_ui_is_html_and_its_errors_json(self, editor: APIClient) -> None:
        page = editor.get("/api/v1/docs/")
        assert (page.status_code, page["Content-Type"]) == (200, "text/html; charset=utf-8")
        assert_not_served(editor.get("/api/v1/docs/", {"format": "csv"}), "csv", "html")
