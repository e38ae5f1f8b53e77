"""No lost updates: a strong ETag that follows the representation, If-Match checked under a
row lock."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from initiatives.models import Initiative, Milestone
from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World


@pytest.fixture
def initiative(world: World) -> Initiative:
    return InitiativeFactory(owner_agency=world.lead)


def test_detail_carries_a_strong_etag_that_moves_with_every_write(
    editor: APIClient, initiative: Initiative
) -> None:
    url = f"/api/v1/initiatives/{initiative.pk}/"
    first = editor.get(url)["ETag"]
    assert first.startswith('"v1-')
    response = editor.patch(url, {"progress": 5}, HTTP_IF_MATCH=first)
    assert response.status_code == 200
    assert response["ETag"].startswith('"v2-')
    assert editor.get(url)["ETag"] == response["ETag"]
    assert editor.patch(url, {"progress": 6}, HTTP_IF_MATCH=first).status_code == 412


def test_the_etag_follows_the_body_when_a_milestone_changes(
    editor: APIClient, initiative: Initiative
) -> None:
    # given an initiative with an open milestone, read once
    milestone = MilestoneFactory(initiative=initiative, due_date=datetime.date(2031, 5, 1))
    url = f"/api/v1/initiatives/{initiative.pk}/"
    before = editor.get(url)
    assert (before.json()["open_milestones"], before.json()["next_due_date"]) == (1, "2031-05-01")
    # when the milestone is completed (the initiative's row is not written)
    editor.post(f"/api/v1/milestones/{milestone.pk}/complete/", {})
    after = editor.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    # then the cached copy is no longer current: a new body and a new ETag
    assert after.status_code == 200
    assert (after.json()["open_milestones"], after.json()["next_due_date"]) == (0, None)
    assert after["ETag"] != before["ETag"]
    # and a write based on the old copy is refused
    stale = editor.patch(url, {"progress": 9}, HTTP_IF_MATCH=before["ETag"])
    assert stale.status_code == 412
    assert editor.patch(url, {"progress": 9}, HTTP_IF_MATCH=after["ETag"]).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(
    world: World, editor: APIClient, initiative: Initiative, method: str
) -> None:
    url = f"/api/v1/initiatives/{initiative.pk}/"
    body = {"title": "New", "slug": "new", "owner_agency": world.lead.pk}
    read = editor.get(url)["ETag"]
    initiative.progress = 1
    initiative.save()  # someone else wrote version 2
    response = getattr(editor, method)(url, body, HTTP_IF_MATCH=read)
    assert response.status_code == 412
    initiative.refresh_from_db()
    assert (initiative.version, initiative.title) == (2, initiative.title)
    assert Initiative.objects.filter(pk=initiative.pk).exists()


@pytest.mark.parametrize("if_match", [None, "{current}", "*", '"v0", {current}'])
def test_matching_or_absent_if_match_proceeds(
    editor: APIClient, initiative: Initiative, if_match: str | None
) -> None:
    url = f"/api/v1/initiatives/{initiative.pk}/"
    current = editor.get(url)["ETag"]
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match.format(current=current)}
    response = editor.patch(url, {"progress": 7}, **headers)
    assert response.status_code == 200


def test_weak_etag_never_matches(editor: APIClient, initiative: Initiative) -> None:
    url = f"/api/v1/initiatives/{initiative.pk}/"
    response = editor.patch(url, {"progress": 7}, HTTP_IF_MATCH="W/" + editor.get(url)["ETag"])
    assert response.status_code == 412


def test_actions_honour_if_match(world: World, editor: APIClient, initiative: Initiative) -> None:
    milestone = MilestoneFactory(initiative=initiative)
    stale = editor.post(f"/api/v1/milestones/{milestone.pk}/complete/", {}, HTTP_IF_MATCH='"v9"')
    assert stale.status_code == 412
    posted = editor.post(
        f"/api/v1/initiatives/{initiative.pk}/updates/", {"body": "x"}, HTTP_IF_MATCH='"v9"'
    )
    assert posted.status_code == 412
    assert Milestone.objects.get().status == "planned"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres")
def test_two_writers_with_the_same_etag_have_exactly_one_winner(world: World) -> None:
    # given two editors who read the same version
    initiative = InitiativeFactory(owner_agency=world.lead)
    clients = [world.client("editor"), world.client("manager")]
    read = clients[0].get(f"/api/v1/initiatives/{initiative.pk}/")["ETag"]
    start = threading.Barrier(2)
    results: dict[int, Any] = {}

    def write(n: int) -> None:
        try:
            start.wait(timeout=10)
            results[n] = clients[n].patch(
                f"/api/v1/initiatives/{initiative.pk}/",
                {"confidence": ["amber", "red"][n]},
                HTTP_IF_MATCH=read,
            )
        finally:
            connection.close()  # each thread has its own database connection

    # when both write at once, on separate connections
    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then exactly one wins and the other is told its version is stale
    statuses = sorted(response.status_code for response in results.values())
    assert statuses == [200, 412]
    winner = next(n for n, response in results.items() if response.status_code == 200)
    initiative.refresh_from_db()
    assert (initiative.version, initiative.confidence) == (2, ["amber", "red"][winner])
    latest = initiative.history.order_by("-history_id").first()
    assert latest.history_user == world.users[["editor", "manager"][winner]]
    assert initiative.history.count() == 2
