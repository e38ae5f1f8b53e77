"""Milestones through the API: the due-date rule, completion, filters and keyset cursors."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from rest_framework.test import APIClient

from initiatives.dates import local_today
from initiatives.models import Milestone
from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World

URL = "/api/v1/milestones/"
D = datetime.date


@pytest.fixture
def initiative(world: World) -> Any:
    return InitiativeFactory(owner_agency=world.lead)


def milestone(initiative: Any, due: datetime.date | None, **fields: Any) -> Milestone:
    return MilestoneFactory(initiative=initiative, due_date=due, baseline_due_date=due, **fields)


def test_create_sets_the_baseline_and_derived_fields(
    editor: APIClient, initiative: Any, time_machine: Any
) -> None:
    time_machine.move_to(datetime.datetime(2030, 1, 1, 4, tzinfo=datetime.UTC))
    response = editor.post(
        URL, {"initiative": initiative.pk, "title": "Pilot", "due_date": "2030-01-10"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["initiative"] == {"id": initiative.pk, "title": initiative.title}
    assert (body["baseline_due_date"], body["days_slipped"]) == ("2030-01-10", 0)
    assert (body["due_status"], body["is_overdue"]) == ("due_soon", False)


def test_moving_the_due_date_needs_a_reason(editor: APIClient, initiative: Any) -> None:
    row = milestone(initiative, D(2030, 6, 30))
    url = f"{URL}{row.pk}/"
    refused = editor.patch(url, {"due_date": "2030-09-30"})
    assert refused.status_code == 400
    assert "due_date_reason" in refused.json()
    moved = editor.patch(url, {"due_date": "2030-09-30", "due_date_reason": "Tender re-run"})
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["baseline_due_date"], body["days_slipped"]) == ("2030-06-30", 92)
    assert body["due_date_reason"] == "Tender re-run"
    row.refresh_from_db()
    assert row.history.first().history_change_reason == "Tender re-run"
    # a reason alone does not rewrite why the date moved
    assert editor.patch(url, {"due_date_reason": "Something else"}).status_code == 400
    # the baseline cannot be written
    editor.patch(url, {"baseline_due_date": "2020-01-01"})
    row.refresh_from_db()
    assert row.baseline_due_date == D(2030, 6, 30)


def test_a_milestone_cannot_change_initiative(
    world: World, editor: APIClient, initiative: Any
) -> None:
    row = milestone(initiative, D(2030, 6, 30))
    other = InitiativeFactory(owner_agency=world.lead)
    response = editor.patch(f"{URL}{row.pk}/", {"initiative": other.pk})
    assert response.status_code == 400
    assert "initiative" in response.json()


def test_complete_defaults_to_today_in_time_zone(
    editor: APIClient, initiative: Any, time_machine: Any, settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    time_machine.move_to(datetime.datetime(2030, 1, 1, 17, tzinfo=datetime.UTC))
    row = milestone(initiative, D(2030, 6, 30))
    response = editor.post(f"{URL}{row.pk}/complete/", {})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["completed_on"]) == ("done", "2030-01-02")
    assert response["ETag"] == editor.get(f"{URL}{row.pk}/")["ETag"]
    dated = milestone(initiative, D(2030, 6, 30))
    response = editor.post(f"{URL}{dated.pk}/complete/", {"completed_on": "2029-12-01"})
    assert response.json()["completed_on"] == "2029-12-01"


def test_completing_a_cancelled_milestone_is_refused(editor: APIClient, initiative: Any) -> None:
    row = milestone(initiative, D(2030, 6, 30), status="cancelled")
    response = editor.post(f"{URL}{row.pk}/complete/", {})
    assert response.status_code == 400
    assert "status" in response.json()


def test_filters(world: World, editor: APIClient, initiative: Any, time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2030, 1, 10, 4, tzinfo=datetime.UTC))
    overdue = milestone(initiative, D(2030, 1, 9), owner=world.users["editor"])
    soon = milestone(initiative, D(2030, 1, 20))
    later = milestone(initiative, D(2030, 6, 1))
    undated = milestone(initiative, None)
    done = milestone(initiative, D(2030, 1, 1), status="done", completed_on=D(2030, 1, 1))

    def ids(**query: Any) -> list[int]:
        response = editor.get(URL, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(overdue="true") == [overdue.pk]
    assert ids(overdue="false") == [done.pk, soon.pk, later.pk, undated.pk]
    assert ids(due_status="due_soon,no_date") == [soon.pk, undated.pk]
    assert ids(due_status="upcoming") == [later.pk]
    assert ids(due_within=14) == [soon.pk]
    assert ids(due_after="2030-01-15", due_before="2030-12-31") == [soon.pk, later.pk]
    assert ids(status="done") == [done.pk]
    assert ids(owner=world.users["editor"].pk) == [overdue.pk]
    assert ids(agency="MIIT", ordering="-due_date") == [
        undated.pk,
        later.pk,
        soon.pk,
        overdue.pk,
        done.pk,
    ]
    assert ids(agency="NDRC") == []
    assert ids(initiative=initiative.pk) == [done.pk, overdue.pk, soon.pk, later.pk, undated.pk]


def test_due_status_filter_and_field_agree(editor: APIClient, initiative: Any) -> None:
    today = local_today()
    for days in (-3, 0, 5, 14, 15, 60):
        milestone(initiative, today + datetime.timedelta(days=days))
    milestone(initiative, None)
    rows = editor.get(URL).json()["results"]
    for status in Milestone.DueStatus.values:
        filtered = editor.get(URL, {"due_status": status}).json()["results"]
        assert [r["id"] for r in filtered] == [r["id"] for r in rows if r["due_status"] == status]


@pytest.mark.parametrize(
    "query",
    [
        {"overdue": "maybe"},
        {"due_status": "late"},
        {"due_within": "-1"},
        {"due_within": "a week"},
        {"due_after": "2030-13-01"},
        {"owner": "me"},
        {"ordering": "owner__password"},
        {"cursor": "garbage"},
        {"page_size": "500"},
    ],
)
def test_bad_parameter_is_a_400_naming_it(editor: APIClient, query: dict[str, str]) -> None:
    response = editor.get(URL, query)
    assert response.status_code == 400, response.content
    assert list(response.json()) == list(query)


def walk(client: APIClient, first_url: str, direction: str = "next") -> tuple[list[int], Any]:
    """Every id met following ``direction`` links, and the last page's body."""
    seen: list[int] = []
    url, body = first_url, None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        page = [row["id"] for row in body["results"]]
        seen.extend(page if direction == "next" else reversed(page))
        url = body[direction]
    return seen, body


DUE_DATES = [D(2030, 1, 1), D(2030, 1, 1), None, D(2030, 2, 1), None, D(2029, 12, 31)]


@pytest.mark.parametrize("ordering", ["due_date", "-due_date", "id", "-id", "title", "-updated_at"])
def test_cursor_pages_are_exact_with_ties_and_empty_due_dates(
    editor: APIClient, initiative: Any, ordering: str
) -> None:
    # given many rows sharing due dates, and rows with none
    for due, n in zip(itertools.cycle(DUE_DATES), range(23), strict=False):
        milestone(initiative, due, title=f"M{n % 4}")
    # when paging forward three at a time
    forward, last = walk(editor, f"{URL}?page_size=3&ordering={ordering}")
    # then every row comes once, in the order of the full list
    everything = editor.get(URL, {"ordering": ordering, "page_size": 200}).json()["results"]
    assert forward == [row["id"] for row in everything]
    assert len(set(forward)) == 23
    # and paging back from the last page meets the same rows in reverse
    backward, _ = walk(editor, last["previous"], direction="previous")
    last_page = [row["id"] for row in last["results"]]
    assert backward == list(reversed(forward[: len(forward) - len(last_page)]))


def test_cursor_is_stable_while_rows_are_inserted(editor: APIClient, initiative: Any) -> None:
    for day in range(1, 11):
        milestone(initiative, D(2030, 1, day))
    first = editor.get(URL, {"page_size": 4}).json()
    # rows added before and after the cursor position while the client reads
    milestone(initiative, D(2029, 1, 1))
    added_after = milestone(initiative, D(2030, 1, 6))
    rest, _ = walk(editor, first["next"])
    seen = [row["id"] for row in first["results"]] + rest
    assert len(seen) == len(set(seen)) == 11
    assert added_after.pk in rest


def test_cursor_from_another_ordering_is_refused(editor: APIClient, initiative: Any) -> None:
    for day in range(1, 5):
        milestone(initiative, D(2030, 1, day))
    cursor = editor.get(URL, {"page_size": 2}).json()["next"].split("cursor=")[1].split("&")[0]
    response = editor.get(URL, {"page_size": 2, "ordering": "-id", "cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_each_filterset_has_its_own_filters_and_leaves_the_class_ones_alone() -> None:
    # given two filter sets of the same class, as two requests make them
    from initiatives.api.filtersets import MilestoneFilterSet

    first = MilestoneFilterSet({"overdue": "true"}, queryset=Milestone.objects.all())
    second = MilestoneFilterSet({"overdue": "false"}, queryset=Milestone.objects.all())
    # then each has copies that answer to it, and the class's filters belong to neither
    for name, base in MilestoneFilterSet.base_filters.items():
        assert first.filters[name] is not base
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first
        assert second.filters[name].parent is second
        assert getattr(base, "parent", None) is None
    # a method filter calls the method of its own filter set
    assert first.filters["overdue"].filter.f is first.filters["overdue"]
    assert first.filters["overdue"].filter.method.__self__ is first
