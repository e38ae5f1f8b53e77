"""Polled endpoints answer If-None-Match with 304 while nothing changed."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World


@pytest.mark.parametrize(
    "url",
    ["/api/v1/initiatives/", "/api/v1/milestones/", "/api/v1/dashboard/", "/api/v1/agencies/"],
)
def test_unchanged_answers_are_304_changed_ones_200(
    world: World, editor: APIClient, url: str
) -> None:
    # given
    initiative = InitiativeFactory(owner_agency=world.lead)
    milestone = MilestoneFactory(initiative=initiative)
    first = editor.get(url)
    etag = first["ETag"]
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    # when nothing changed
    again = editor.get(url, HTTP_IF_NONE_MATCH=etag)
    # then
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # when something changed
    milestone.title = "Renamed"
    milestone.save()
    initiative.status = "stalled"
    initiative.save()
    world.lead.contact_email = "new@example.org"
    world.lead.save()
    changed = editor.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_filters_and_pages_have_their_own_etags(world: World, editor: APIClient) -> None:
    InitiativeFactory.create_batch(3, owner_agency=world.lead)
    all_rows = editor.get("/api/v1/initiatives/")["ETag"]
    one_page = editor.get("/api/v1/initiatives/", {"page_size": 1})["ETag"]
    assert all_rows != one_page
    assert (
        editor.get(
            "/api/v1/initiatives/", {"page_size": 1}, HTTP_IF_NONE_MATCH=all_rows
        ).status_code
        == 200
    )


@pytest.mark.parametrize("kind", ["initiatives", "milestones"])
def test_a_detail_answers_304_while_it_is_unchanged(
    world: World, editor: APIClient, kind: str
) -> None:
    # given a detail read once
    initiative = InitiativeFactory(owner_agency=world.lead)
    milestone = MilestoneFactory(initiative=initiative)
    url = f"/api/v1/{kind}/{initiative.pk if kind == 'initiatives' else milestone.pk}/"
    first = editor.get(url)
    etag = first["ETag"]
    assert not etag.startswith("W/")  # strong: it also guards writes (If-Match)
    # when it is asked for again with its ETag
    again = editor.get(url, HTTP_IF_NONE_MATCH=etag)
    # then 304, no body, the same validator
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert editor.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/initiatives/{id}/", "/api/v1/milestones/{id}/"])
def test_the_schema_documents_a_detail_revalidation(path: str) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    retrieve = schema["paths"][path]["get"]
    assert "If-None-Match" in {p["name"] for p in retrieve["parameters"] if p["in"] == "header"}
    assert "ETag" in retrieve["responses"]["304"]["headers"]
    assert "ETag" in retrieve["responses"]["200"]["headers"]
