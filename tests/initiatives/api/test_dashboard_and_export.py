"""The dashboard's figures, CSV export of the filtered lists, and throttling."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World

D = datetime.date


def milestone(initiative: Any, due: datetime.date, **fields: Any) -> Any:
    return MilestoneFactory(initiative=initiative, due_date=due, baseline_due_date=due, **fields)


@pytest.fixture
def today(time_machine: Any) -> datetime.date:
    time_machine.move_to(datetime.datetime(2030, 6, 15, 4, tzinfo=datetime.UTC))
    return D(2030, 6, 15)


def test_dashboard_counts_and_rates(world: World, editor: APIClient, today: datetime.date) -> None:
    # given
    led = InitiativeFactory(owner_agency=world.lead, status="in_progress", confidence="amber")
    other = InitiativeFactory(owner_agency=world.elsewhere)
    late = milestone(led, D(2030, 6, 1))
    soon = milestone(led, D(2030, 7, 1))
    milestone(led, D(2030, 9, 1))  # beyond 30 days
    milestone(led, D(2030, 5, 1), status="done", completed_on=D(2030, 4, 30))  # on time
    milestone(led, D(2030, 5, 2), status="done", completed_on=D(2030, 5, 9))  # late
    milestone(led, D(2030, 5, 3), status="cancelled")  # not counted
    moved = milestone(other, D(2030, 6, 1), status="done", completed_on=D(2030, 6, 10))
    moved.due_date, moved.due_date_reason = D(2030, 6, 30), "Rescheduled"
    moved.save()  # done before its new date but after its baseline: late
    # when
    body = editor.get("/api/v1/dashboard/").json()
    # then
    assert body["as_of"] == "2030-06-15"
    assert body["initiatives_by_status"]["in_progress"] == 1
    assert body["initiatives_by_status"]["announced"] == 1
    assert body["initiatives_by_confidence"]["amber"] == 1
    assert {
        (row["agency"]["short_name"], row["count"]) for row in body["initiatives_by_lead_agency"]
    } == {
        ("MIIT", 1),
        ("NDRC", 1),
    }
    assert body["overdue_milestones"]["count"] == 1
    assert [m["id"] for m in body["overdue_milestones"]["items"]] == [late.pk]
    assert [m["id"] for m in body["milestones_due_next_30_days"]["items"]] == [soon.pk]
    rates = {row["agency"]["short_name"]: row for row in body["on_time_rate_by_agency"]}
    assert (rates["MIIT"]["milestones_due"], rates["MIIT"]["done_on_time"]) == (3, 1)
    assert rates["MIIT"]["rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert (rates["NDRC"]["milestones_due"], rates["NDRC"]["done_on_time"]) == (1, 0)


def test_dashboard_queries_do_not_grow(world: World, today: datetime.date) -> None:
    client = world.client("superuser")
    client.get("/api/v1/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/dashboard/").status_code == 200
        return len(captured)

    initiative = InitiativeFactory(owner_agency=world.lead)
    milestone(initiative, D(2030, 6, 1))
    first = queries()
    for day in range(1, 29):
        milestone(InitiativeFactory(owner_agency=world.elsewhere), D(2030, 6, day))
    assert queries() == first


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_gives_every_filtered_row(world: World, editor: APIClient) -> None:
    for n in range(60):
        InitiativeFactory(
            owner_agency=world.lead if n % 2 else world.elsewhere, title=f"Action {n}"
        )
    rows = rows_of(editor.get("/api/v1/initiatives/export/", {"owner_agency": "MIIT"}))
    assert len(rows) == 30  # all of them, not one page of 50 or fewer
    assert {row["lead_agency"] for row in rows} == {"MIIT"}
    json_ids = [
        r["id"]
        for r in editor.get(
            "/api/v1/initiatives/", {"owner_agency": "MIIT", "page_size": 200}
        ).json()["results"]
    ]
    assert [int(row["id"]) for row in rows] == json_ids


def test_milestone_csv_keeps_the_filters_and_order(
    world: World, editor: APIClient, today: Any
) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead, title="光 Light")
    late = milestone(initiative, D(2030, 6, 1))
    milestone(initiative, D(2030, 12, 1))
    rows = rows_of(editor.get("/api/v1/milestones/export/", {"overdue": "true"}))
    assert [(int(r["id"]), r["due_status"], r["initiative"]) for r in rows] == [
        (late.pk, "overdue", "光 Light")
    ]


@pytest.mark.parametrize("accept", ["*/*", "text/csv"])
def test_csv_with_a_bad_filter_is_a_400_in_json_naming_it(editor: APIClient, accept: str) -> None:
    response = editor.get("/api/v1/milestones/export/", {"overdue": "maybe"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["overdue"]


def test_csv_export_refused_is_a_json_error(world: World) -> None:
    response = world.client("anonymous").get("/api/v1/initiatives/export/")
    assert (response.status_code, response["Content-Type"]) == (401, "application/json")
    assert "detail" in response.json()
    options = world.client("editor").options("/api/v1/initiatives/export/")
    assert (options.status_code, options["Content-Type"]) == (200, "application/json")


def test_throttling_answers_429_with_retry_after(
    world: World, monkeypatch: Any, settings: Any
) -> None:
    settings.API_PUBLIC_READ = True
    # DRF reads the rates once, at import; the class attribute is where they live after that.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"}
    )
    client = world.client("viewer")
    statuses = [client.get("/api/v1/agencies/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert int(client.get("/api/v1/agencies/")["Retry-After"]) > 0
    anonymous = world.client("anonymous")
    assert [anonymous.get("/api/v1/agencies/").status_code for _ in range(3)] == [200, 200, 429]
