"""Initiatives through the API: representation, writes, filters, ordering, bad input, actions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from initiatives.models import Initiative, InitiativeAgency, ProgressUpdate
from tests.factories import (
    AgencyFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MilestoneFactory,
)
from tests.initiatives.api.conftest import World

URL = "/api/v1/initiatives/"
D = datetime.date


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_detail_embeds_lead_agency_summary_and_counts(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    MilestoneFactory(initiative=initiative, due_date=D(2000, 1, 1), baseline_due_date=D(2000, 1, 1))
    MilestoneFactory(initiative=initiative, due_date=D(2099, 1, 1), baseline_due_date=D(2099, 1, 1))
    InitiativeAgencyFactory(initiative=initiative, agency=world.elsewhere, role="supervising")
    body = editor.get(f"{URL}{initiative.pk}/").json()
    assert body["owner_agency"] == {
        "id": world.lead.pk,
        "short_name": "MIIT",
        "name": world.lead.name,
    }
    assert body["supporting_agencies"] == [
        {
            "agency": {
                "id": world.elsewhere.pk,
                "short_name": "NDRC",
                "name": world.elsewhere.name,
            },
            "role": "supervising",
        }
    ]
    assert (body["open_milestones"], body["overdue_milestones"]) == (2, 1)
    assert body["next_due_date"] == "2000-01-01"
    assert body["version"] == 1


def test_create_with_supporting_agencies_and_tags(world: World, editor: APIClient) -> None:
    response = editor.post(
        URL,
        {
            "title": "Light Chasing Action",
            "slug": "light-chasing",
            "owner_agency": world.lead.pk,
            "supporting_agencies": [{"agency": world.elsewhere.pk, "role": "co_lead"}],
            "status": "announced",
            "announced_on": "2023-03-01",
        },
    )
    assert response.status_code == 201, response.content
    initiative = Initiative.objects.get(slug="light-chasing")
    assert list(initiative.agency_roles.values_list("agency__short_name", "role")) == [
        ("NDRC", "co_lead")
    ]
    assert initiative.history.get().history_user == world.users["editor"]


def test_replacing_supporting_agencies_keeps_history(world: World, editor: APIClient) -> None:
    third = AgencyFactory(short_name="MOST")
    initiative = InitiativeFactory(owner_agency=world.lead)
    InitiativeAgencyFactory(initiative=initiative, agency=world.elsewhere, role="participating")
    response = editor.patch(
        f"{URL}{initiative.pk}/",
        {"supporting_agencies": [{"agency": third.pk, "role": "supervising"}]},
    )
    assert response.status_code == 200, response.content
    assert list(initiative.agency_roles.values_list("agency__short_name", "role")) == [
        ("MOST", "supervising")
    ]
    assert InitiativeAgency.history.filter(history_type="-").count() == 1
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress": 101}, "progress"),
        ({"progress": "lots"}, "progress"),
        ({"status": "finished"}, "status"),
        ({"confidence": "purple"}, "confidence"),
        ({"start_date": "2030-01-02", "target_date": "2030-01-01"}, "start_date"),
        ({"status": "completed"}, "completed_on"),
        ({"status": "superseded"}, "superseded_by"),
        ({"target_date": "2030-02-30"}, "target_date"),
        ({"owner_agency": 999999}, "owner_agency"),
        ({"supporting_agencies": [{"agency": 999999, "role": "co_lead"}]}, "supporting_agencies"),
        ({"supporting_agencies": [{"agency": 0, "role": "boss"}]}, "supporting_agencies"),
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"slug": "taken"}, "slug"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    world: World, editor: APIClient, body: dict[str, Any], field: str
) -> None:
    InitiativeFactory(owner_agency=world.lead, slug="taken")
    initiative = InitiativeFactory(owner_agency=world.lead, slug="mine")
    response = editor.patch(f"{URL}{initiative.pk}/", body)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.version == 1


def test_lead_agency_cannot_also_support(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.patch(
        f"{URL}{initiative.pk}/",
        {"supporting_agencies": [{"agency": world.lead.pk, "role": "co_lead"}]},
    )
    assert response.status_code == 400
    assert "supporting_agencies" in response.json()


def test_malformed_json_and_oversized_bodies_are_400(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.generic(
        "PATCH", f"{URL}{initiative.pk}/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    huge = '{"notes": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = editor.generic(
        "PATCH", f"{URL}{initiative.pk}/", huge, content_type="application/json"
    )
    assert response.status_code == 400
    initiative.refresh_from_db()
    assert initiative.version == 1


def test_filters(world: World, editor: APIClient) -> None:
    # given
    led = InitiativeFactory(owner_agency=world.lead, status="in_progress", theme="5G")
    supported = InitiativeFactory(owner_agency=world.elsewhere, status="announced")
    InitiativeAgencyFactory(initiative=supported, agency=world.lead)
    late = InitiativeFactory(
        owner_agency=world.elsewhere,
        status="stalled",
        announced_on=D(2024, 5, 1),
        target_date=D(2025, 1, 1),
    )
    MilestoneFactory(initiative=late, due_date=D(2001, 1, 1), baseline_due_date=D(2001, 1, 1))
    # then
    assert ids(editor.get(URL, {"owner_agency": "miit"})) == [led.pk]
    assert ids(editor.get(URL, {"owner_agency": f"{world.lead.pk}"})) == [led.pk]
    assert ids(editor.get(URL, {"agency": "MIIT"})) == [led.pk, supported.pk]
    assert ids(editor.get(URL, {"status": "in_progress,announced"})) == [led.pk, supported.pk]
    assert ids(editor.get(URL, {"theme": "5g"})) == [led.pk]
    assert ids(editor.get(URL, {"has_overdue": "true"})) == [late.pk]
    assert ids(editor.get(URL, {"has_overdue": "false"})) == [led.pk, supported.pk]
    assert ids(editor.get(URL, {"announced_after": "2024-01-01"})) == [late.pk]
    assert ids(editor.get(URL, {"target_before": "2025-12-31"})) == [late.pk]
    assert ids(editor.get(URL, {"search": led.title})) == [led.pk]
    assert ids(editor.get(URL, {"ordering": "-id"})) == [late.pk, supported.pk, led.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "bogus"},
        {"status": "announced,bogus"},
        {"confidence": "blue"},
        {"owner_agency": "NOPE"},
        {"agency": "999999"},
        {"has_overdue": "maybe"},
        {"announced_after": "yesterday"},
        {"parent": "x"},
        {"ordering": "secret_field"},
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "ten"},
        {"page": "zero"},
    ],
)
def test_bad_parameter_is_a_400_naming_it(editor: APIClient, query: dict[str, str]) -> None:
    response = editor.get(URL, query)
    assert response.status_code == 400, response.content
    assert list(response.json()) == list(query)


def test_page_pagination(world: World, editor: APIClient) -> None:
    InitiativeFactory.create_batch(5, owner_agency=world.lead)
    body = editor.get(URL, {"page_size": 2, "page": 3}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 1
    assert body["next"] is None
    assert "page=2" in body["previous"]
    assert editor.get(URL, {"page": 4, "page_size": 2}).status_code == 404


def test_post_update_changes_the_initiative_in_one_step(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.post(
        f"{URL}{initiative.pk}/updates/",
        {"body": "Supplier risk", "confidence": "amber", "progress": 30},
    )
    assert response.status_code == 201, response.content
    # the ETag is the initiative's as the update left it
    assert response["ETag"] == editor.get(f"{URL}{initiative.pk}/")["ETag"]
    assert response.json()["author"]["username"] == world.users["editor"].username
    initiative.refresh_from_db()
    assert (initiative.confidence, initiative.progress) == ("amber", 30)


def test_post_update_that_breaks_a_rule_writes_nothing(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.post(
        f"{URL}{initiative.pk}/updates/", {"body": "Replaced", "status": "superseded"}
    )
    assert response.status_code == 400
    assert "superseded_by" in response.content.decode()
    assert not ProgressUpdate.objects.exists()
    initiative.refresh_from_db()
    assert initiative.status == "announced"


def test_history_says_who_changed_which_fields(world: World, editor: APIClient) -> None:
    created = editor.post(URL, {"title": "T", "slug": "t", "owner_agency": world.lead.pk}).json()
    editor.patch(f"{URL}{created['id']}/", {"confidence": "red", "progress": 5})
    history = editor.get(f"{URL}{created['id']}/history/").json()
    latest, first = history
    assert latest["user"]["username"] == world.users["editor"].username
    assert latest["change_type"] == "changed"
    assert latest["version"] == 2
    assert sorted(latest["changes"], key=lambda c: c["field"]) == [
        {"field": "confidence", "old": "not_assessed", "new": "red"},
        {"field": "progress", "old": 0, "new": 5},
    ]
    assert first["change_type"] == "created"


def test_deleting_a_programme_with_actions_is_a_conflict(world: World, editor: APIClient) -> None:
    programme = InitiativeFactory(owner_agency=world.lead)
    InitiativeFactory(owner_agency=world.lead, parent=programme)
    assert editor.delete(f"{URL}{programme.pk}/").status_code == 409
    assert Initiative.objects.filter(pk=programme.pk).exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/initiatives/null,null/", None),
        ("patch", "/api/v1/milestones/abc/", {"title": "x"}),
        ("post", "/api/v1/milestones/1.5/complete/", {}),
        ("delete", "/api/v1/initiatives/-1/", None),
    ],
)
def test_ids_that_are_not_numbers_are_404(
    editor: APIClient, method: str, path: str, body: Any
) -> None:
    assert getattr(editor, method)(path, body).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"title": "NUL\x00byte"},
        {"tags": ["\x00"]},
        {"tags": ["x" * 500]},
        {"notes": "\x00"},
    ],
)
def test_nul_bytes_and_impossible_values_are_400(
    world: World, editor: APIClient, body: dict[str, Any]
) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    response = editor.patch(f"{URL}{initiative.pk}/", body)
    assert response.status_code == 400, response.content
    initiative.refresh_from_db()
    assert initiative.version == 1


@pytest.mark.parametrize(
    "query", [{"owner_agency": "\x00"}, {"agency": "A\x00"}, {"search": "\x00"}]
)
def test_nul_bytes_in_filters_are_400(editor: APIClient, query: dict[str, str]) -> None:
    assert editor.get(URL, query).status_code == 400


def test_unknown_api_paths_answer_json_404(editor: APIClient) -> None:
    for path in ("/api/v1/initiatives/abc/", "/api/v1/nothing-here/"):
        response = editor.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_milestone_counts_follow_the_day(
    world: World, editor: APIClient, time_machine: Any
) -> None:
    # The list's query is kept from one request to the next: it must not keep yesterday's date.
    initiative = InitiativeFactory(owner_agency=world.lead)
    MilestoneFactory(
        initiative=initiative, due_date=D(2030, 1, 10), baseline_due_date=D(2030, 1, 10)
    )

    def counts() -> tuple[int, int]:
        (row,) = editor.get(URL).json()["results"]
        return row["open_milestones"], row["overdue_milestones"]

    time_machine.move_to(datetime.datetime(2030, 1, 10, 12, tzinfo=datetime.UTC))
    assert counts() == (1, 0)
    # 2030-01-11 in Asia/Shanghai, though still the 10th in UTC
    time_machine.move_to(datetime.datetime(2030, 1, 10, 16, 30, tzinfo=datetime.UTC))
    assert counts() == (1, 1)
