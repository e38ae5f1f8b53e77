"""Every write operation of the schema, sent what a hostile or careless client sends: bodies
nested too deep or too big to read, and dates at and past the ends of the calendar in every
date field. Each is a 4xx naming what is wrong, and afterwards the sweep and the calendar feed
still run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from initiatives.models import Agency
from initiatives.tokens import token_issue
from tests.factories import MembershipFactory, UserFactory
from tracker.services import reminders_sweep

pytestmark = pytest.mark.django_db
SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
WRITES = [
    (path, method)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if method in ("post", "put", "patch")
]
NESTED = "[" * 1000 + "]" * 1000
OVERSIZED = json.dumps({"title": "x" * (2 * 1024 * 1024)})
EXTREME_DATES = ["0001-01-01", "1823-06-01", "9999-12-31"]


def request_properties(path: str, method: str) -> dict[str, Any]:
    body = SCHEMA["paths"][path][method].get("requestBody")
    if body is None:
        return {}
    schema = body["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    return dict(SCHEMA["components"]["schemas"][name].get("properties", {}))


def date_fields(path: str, method: str) -> list[str]:
    return [
        name
        for name, field in request_properties(path, method).items()
        if field.get("format") == "date" and not field.get("readOnly")
    ]


@pytest.fixture
def root() -> APIClient:
    call_command("load_seed", verbosity=0)
    MembershipFactory(agency=Agency.objects.get(short_name="MIIT"))  # the seed has none
    _, token = token_issue(user=UserFactory(is_superuser=True, is_staff=True), name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def url_of(client: APIClient, path: str) -> str:
    """The path with ``{id}`` filled in by a row that exists."""
    if "{id}" not in path:
        return path
    collection = path.split("{id}")[0]
    if collection.endswith("milestones/"):
        client.post(collection, {"initiative": 1, "title": "Hostile input target"})
    listed = client.get(collection).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows, f"no row to test {path} on"
    return path.replace("{id}", str(rows[0]["id"]))


@pytest.mark.parametrize(("path", "method"), WRITES)
def test_bodies_that_cannot_be_read_are_400(root: APIClient, path: str, method: str) -> None:
    url = url_of(root, path)
    for body in (NESTED, OVERSIZED, "{", '"just a string"', "\x00"):
        response = getattr(root, method)(url, body, content_type="application/json")
        assert 400 <= response.status_code < 500, (url, body[:20], response.content[:200])


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (path, method)
        for path, method in WRITES
        if method in ("patch", "post") and date_fields(path, method)
    ],
)
def test_every_date_field_refuses_the_ends_of_the_calendar(
    root: APIClient, path: str, method: str
) -> None:
    url = url_of(root, path)
    for field in date_fields(path, method):
        for value in EXTREME_DATES:
            body = {field: value}
            if path.endswith("/updates/"):
                body |= {"body": "Delivered", "status": "completed"}
            response = getattr(root, method)(url, body)
            assert response.status_code == 400, (url, field, value, response.content)
            assert field in response.json(), (url, field, response.json())
    # and whatever was tried, the sweep and the feed still run
    reminders_sweep()
    _, feed_token = token_issue(user=UserFactory(), name="feed", scope="calendar")
    assert APIClient().get("/api/v1/calendar.ics", {"token": feed_token}).status_code == 200
