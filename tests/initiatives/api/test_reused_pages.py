"""A page of milestones asked for again runs the SQL compiled for it the first time: the same
answer as composing it afresh, the rows read anew, today's date and settings respected."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from initiatives.api.views import PAGES, RowListMixin
from initiatives.models import Milestone
from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World

URL = "/api/v1/milestones/"
TODAY = datetime.date(2026, 11, 26)
# Query strings made of reusable filters only (each served from its compiled query when
# asked again).
REUSABLE = [
    {},
    {"page_size": 2},
    {"overdue": "true", "page_size": 100},
    {"overdue": "false"},
    {"status": "planned,in_progress", "ordering": "-due_date"},
    {"due_status": "overdue,due_soon", "page_size": 3},
    {"due_within": 30},
    {"due_after": "2026-01-01", "due_before": "2026-12-31", "ordering": "title"},
    {"ordering": "-updated_at", "page_size": 1},
]


@pytest.fixture(autouse=True)
def no_compiled_pages() -> None:
    PAGES.clear()


@pytest.fixture
def milestones(world: World, time_machine: Any) -> list[Milestone]:
    time_machine.move_to(datetime.datetime(2026, 11, 26, 4, tzinfo=datetime.UTC), tick=False)
    initiative = InitiativeFactory(owner_agency=world.lead)
    days = [-40, -3, 0, 1, 12, 200, None]
    rows = [
        MilestoneFactory(
            initiative=initiative,
            due_date=None if day is None else TODAY + datetime.timedelta(days=day),
            status="in_progress" if n % 3 else "planned",
            owner=world.users["editor"],
        )
        for n, day in enumerate(days)
    ]
    MilestoneFactory(initiative=initiative, due_date=TODAY, status="done", completed_on=TODAY)
    return rows


@pytest.fixture
def client(world: World) -> APIClient:
    client = world.client("viewer")
    client.get("/api/v1/")  # the token's first use is recorded once; keep it out of the counts
    return client


def get(client: APIClient, params: dict[str, Any]) -> Any:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def never_reused(monkeypatch: Any, read: Callable[[], Any]) -> Any:
    """What ``read`` gets when no page is reused: every one composed by the ORM."""
    with monkeypatch.context() as patched:
        patched.setattr(RowListMixin, "reusable_page_key", lambda self, request: None)
        return read()


@pytest.mark.parametrize("params", REUSABLE)
def test_a_page_asked_for_again_is_what_composing_it_gives(
    milestones: list[Milestone], client: APIClient, params: dict[str, Any], monkeypatch: Any
) -> None:
    # given the page composed by the ORM, as a page that is never reused is
    composed = never_reused(monkeypatch, lambda: get(client, params))
    assert composed["results"]
    assert not PAGES.entries
    # when it is asked for, compiled and kept, then asked for again (from the compiled query)
    compiled = get(client, params)
    with CaptureQueriesContext(connection) as captured:
        reused = get(client, params)
    # then the answers are the same, links included, the last from one query after the token's
    assert compiled == composed
    assert reused == composed
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in captured.captured_queries]
    assert tables == ['"initiatives_accesstoken"', '"initiatives_milestone"']
    assert len(PAGES.entries) == 1


def test_the_rows_are_read_anew_each_time(milestones: list[Milestone], client: APIClient) -> None:
    params = {"overdue": "true"}
    before = get(client, params)
    # given a milestone that falls overdue and one that is done after the first request
    yesterday = TODAY - datetime.timedelta(days=1)
    late = MilestoneFactory(initiative=milestones[0].initiative, due_date=yesterday)
    Milestone.objects.filter(pk=milestones[0].pk).update(status="done", completed_on=TODAY)
    # then the page asked for again shows both changes
    ids = [row["id"] for row in get(client, params)["results"]]
    assert late.pk in ids
    assert milestones[0].pk not in ids
    assert len(ids) == len(before["results"])


def test_a_new_day_composes_the_page_again(
    milestones: list[Milestone], client: APIClient, time_machine: Any
) -> None:
    due_today = milestones[2]
    assert due_today.pk not in [row["id"] for row in get(client, {"overdue": "true"})["results"]]
    # after midnight in Shanghai, what was due today is overdue
    time_machine.move_to(datetime.datetime(2026, 11, 26, 16, 30, tzinfo=datetime.UTC))
    results = get(client, {"overdue": "true"})["results"]
    assert due_today.pk in [row["id"] for row in results]


def test_a_setting_change_forgets_the_compiled_pages(
    milestones: list[Milestone], client: APIClient, settings: Any
) -> None:
    get(client, {"due_status": "due_soon"})
    assert PAGES.entries
    settings.REMINDER_DUE_SOON_DAYS = 300
    assert not PAGES.entries
    results = get(client, {"due_status": "due_soon"})["results"]
    assert milestones[5].pk in [row["id"] for row in results]  # due in 200 days


@pytest.mark.parametrize(
    "params",
    [
        {"agency": "MIIT"},  # short names are looked up in the database
        {"search": "x"},  # not a filter of milestones: not known to be harmless
        {"overdue": "true", "unknown": "1"},
    ],
)
def test_other_query_strings_are_composed_every_time(
    milestones: list[Milestone], client: APIClient, params: dict[str, Any]
) -> None:
    first = get(client, params)
    assert get(client, params) == first
    assert not PAGES.entries


def test_an_agency_renamed_between_two_requests_is_looked_up_again(
    world: World, milestones: list[Milestone], client: APIClient
) -> None:
    assert get(client, {"agency": "MIIT"})["results"]
    world.lead.short_name = "MIIT2"
    world.lead.save()
    assert client.get(URL, {"agency": "MIIT"}).status_code == 400


def walk(client: APIClient, params: dict[str, Any]) -> list[Any]:
    """Every page from the first, by its next links, then back by the previous links."""
    pages = [get(client, params)]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())
    return pages + back


@pytest.mark.parametrize("params", [{"page_size": 2}, {"page_size": 3, "ordering": "-due_date"}])
def test_pages_followed_by_their_cursors_are_what_composing_them_gives(
    milestones: list[Milestone], client: APIClient, params: dict[str, Any], monkeypatch: Any
) -> None:
    # given every page, forwards and back, composed by the ORM
    composed = never_reused(monkeypatch, lambda: walk(client, params))
    # when the same pages are followed twice: compiled and kept, then reused
    compiled, reused = walk(client, params), walk(client, params)
    # then they are the same pages, and going forwards shows each milestone once
    assert compiled == composed
    assert reused == composed
    forwards = [row["id"] for page in composed[: len(composed) // 2] for row in page["results"]]
    assert sorted(forwards) == sorted(Milestone.objects.values_list("id", flat=True))
    assert len(PAGES.entries) == len(composed) - 1  # the last page going forwards comes back


@pytest.mark.parametrize(("name", "value"), [("cursor", "not-a-cursor"), ("overdue", "maybe")])
def test_a_bad_parameter_is_refused_every_time(
    milestones: list[Milestone], client: APIClient, name: str, value: str
) -> None:
    for _ in range(2):
        response = client.get(URL, {name: value})
        assert response.status_code == 400
        assert name in response.json()
    assert not PAGES.entries
