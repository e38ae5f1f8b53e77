"""Every answer the API gives on the seed data set, read as an editor, and its error answers,
validate strictly against the OpenAPI schema it serves (tests/schema_check.py)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from initiatives.models import AccessToken, Agency, Initiative
from initiatives.tokens import token_issue
from tests.factories import MembershipFactory, MilestoneFactory
from tests.schema_check import SchemaCheck


@dataclass
class Seeded:
    editor: APIClient
    viewer: APIClient
    check: SchemaCheck
    initiative: Initiative


def client_of(user: Any) -> APIClient:
    _, token = token_issue(user=user, name="schema check")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def seeded(db: None) -> Seeded:
    # given the seed, with what it lacks to fill every list: milestones (dated, undated, done),
    # a progress update and a history of changes, a calendar feed token
    call_command("loaddata", "seed", verbosity=0)
    miit = Agency.objects.get(short_name="MIIT")
    editor = MembershipFactory(agency=miit, role="editor").user
    viewer = MembershipFactory(agency=miit, role="viewer").user
    initiative = Initiative.objects.filter(owner_agency=miit).order_by("id").first()
    assert initiative is not None
    MilestoneFactory(initiative=initiative, owner=editor, due_date=datetime.date(2030, 6, 30))
    MilestoneFactory(initiative=initiative, due_date=None, baseline_due_date=None)
    MilestoneFactory(initiative=initiative, status="done", completed_on=datetime.date(2024, 1, 5))
    token_issue(user=editor, name="phone", scope=AccessToken.Scope.CALENDAR)
    client = client_of(editor)
    posted = client.post(
        f"/api/v1/initiatives/{initiative.pk}/updates/",
        {"body": "Under way.", "status": "in_progress", "progress": 20},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    detail = f"/api/v1/initiatives/{initiative.pk}/"
    changed = client.patch(  # a change from null, for the history
        detail, {"target_date": "2030-12-31"}, HTTP_IF_MATCH=client.get(detail)["ETag"]
    )
    assert changed.status_code == 200, changed.content
    document = json.loads(client.get("/api/v1/schema/", {"format": "json"}).content)
    return Seeded(client, client_of(viewer), SchemaCheck(document), initiative)


def pages(client: APIClient, url: str) -> list[Any]:
    """Every page of a list, following its ``next`` links."""
    answers = [client.get(url, {"page_size": 200})]
    while answers[-1]["Content-Type"] == "application/json":
        body = answers[-1].json()
        following = body.get("next") if isinstance(body, dict) else None
        if not following:
            break
        answers.append(client.get(following.removeprefix("http://testserver")))
    return answers


def test_every_list_and_detail_of_the_seed_matches_the_schema(seeded: Seeded) -> None:
    client, check = seeded.editor, seeded.check
    problems: list[str] = []
    ids: dict[str, list[int]] = {}
    reads = [
        (template, operations["get"])
        for template, operations in check.document["paths"].items()
        if "get" in operations
    ]
    # when every list is read, page by page
    for template, _ in reads:
        if "{id}" in template:
            continue
        for answer in pages(client, template):
            problems += check.errors(template, "get", answer)
            body = answer.json() if answer["Content-Type"] == "application/json" else None
            rows = body.get("results", []) if isinstance(body, dict) else body or []
            ids.setdefault(template.split("/")[3], []).extend(row["id"] for row in rows)
    # and every row's detail (and an initiative's history)
    for template, _ in reads:
        if "{id}" not in template:
            continue
        collection = template.split("/")[3]
        assert ids.get(collection), f"no {collection} to read {template} with"
        for pk in ids[collection]:
            answer = client.get(template.replace("{id}", str(pk)))
            problems += check.errors(template, "get", answer)
    # then each answered as documented
    assert problems == []
    assert len(ids["initiatives"]) == Initiative.objects.count()


def test_error_answers_match_the_schema(seeded: Seeded) -> None:
    client, check = seeded.editor, seeded.check
    detail = "/api/v1/initiatives/{id}/"
    url = detail.replace("{id}", str(seeded.initiative.pk))
    etag = client.get(url)["ETag"]
    stale = '"v0"'
    answers = [
        # 400: a bad filter, a bad field
        ("/api/v1/initiatives/", "get", client.get("/api/v1/initiatives/?status=someday")),
        (detail, "patch", client.patch(url, {"progress": 500}, HTTP_IF_MATCH=etag)),
        ("/api/v1/milestones/", "post", client.post("/api/v1/milestones/", {}, format="json")),
        # 401, 403, 404
        ("/api/v1/initiatives/", "get", APIClient().get("/api/v1/initiatives/")),
        (detail, "patch", seeded.viewer.patch(url, {"progress": 5}, format="json")),
        (detail, "get", client.get(detail.replace("{id}", "999999"))),
        # 406: a format the path does not serve
        (detail, "get", client.get(url, {"format": "csv"})),
        (
            "/api/v1/initiatives/export/",
            "get",
            client.get("/api/v1/initiatives/export/?format=json"),
        ),
        # 412: a stale If-Match
        (detail, "patch", client.patch(url, {"progress": 5}, format="json", HTTP_IF_MATCH=stale)),
    ]
    codes = [answer.status_code for _, _, answer in answers]
    assert codes == [400, 400, 400, 401, 403, 404, 406, 406, 412]
    problems = [error for args in answers for error in check.errors(*args)]
    assert problems == []
