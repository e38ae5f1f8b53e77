"""Every multi-value filter means the same whether its values come repeated (``status=a&status=b``,
as generated clients send arrays), as a comma list (``status=a,b``) or both at once; and the
schema documents each as an array given by repeating the parameter."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from django_filters.filters import BaseCSVFilter
from rest_framework.test import APIClient

from config.api_router import router
from initiatives.api.filtersets import MilestoneFilterSet, MultiValueFilter
from initiatives.dates import local_today
from initiatives.models import Tag
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    UserFactory,
)
from tests.initiatives.api.conftest import World
from tracker.api.views import CalendarFeedView

THREE = range(3)


@dataclass
class Rows:
    """Three of everything, different in every attribute a multi-value filter reads."""

    agencies: list[Any]
    users: list[Any]
    programmes: list[Any]
    initiatives: list[Any]
    milestones: list[Any]
    indicators: list[Any]


@pytest.fixture
def rows(world: World) -> Rows:
    today = local_today()
    agencies = [AgencyFactory(kind=kind) for kind in ("ministry", "commission", "office")]
    for child, parent in zip(agencies, [world.lead, *agencies[:2]], strict=True):
        child.parent = parent
        child.save()
    users = [UserFactory() for _ in THREE]
    programmes = [InitiativeFactory(owner_agency=agencies[n]) for n in THREE]
    initiatives = [
        InitiativeFactory(
            owner_agency=agencies[n],
            parent=programmes[n],
            status=("announced", "in_progress", "stalled")[n],
            confidence=("green", "amber", "red")[n],
        )
        for n in THREE
    ]
    for n in THREE:
        initiatives[n].tags.add(Tag.objects.create(name=f"Tag {n}", slug=f"tag-{n}"))
        # Supported by the next agency, so `agency` (lead or supporting) reaches further.
        InitiativeAgencyFactory(initiative=initiatives[n], agency=agencies[(n + 1) % 3])
        MembershipFactory(
            user=users[n], agency=agencies[n], role=("viewer", "editor", "manager")[n]
        )
        ProgressUpdateFactory(initiative=initiatives[n], author=users[n])
    due = (today - datetime.timedelta(days=3), today + datetime.timedelta(days=5), None)
    milestones = [
        MilestoneFactory(
            initiative=initiatives[n],
            owner=users[n],
            status=("planned", "in_progress", "cancelled")[n],
            due_date=due[n],
            baseline_due_date=due[n],
        )
        for n in THREE
    ]
    indicators = [
        IndicatorFactory(
            initiative=initiatives[n],
            direction=("increase", "decrease", "maintain")[n],
            kind=("binding", "anticipatory", "")[n],
            target_value=(10, 20, None)[n],
        )
        for n in THREE
    ]
    for n in THREE:
        IndicatorReadingFactory(indicator=indicators[n])
    return Rows(agencies, users, programmes, initiatives, milestones, indicators)


def cases(rows: Rows) -> dict[tuple[str, str], list[str]]:
    """(collection, parameter) -> three values, each selecting rows of its own."""
    a, u, i = rows.agencies, rows.users, rows.initiatives

    def ids(objects: list[Any]) -> list[str]:
        return [str(obj.pk) for obj in objects]

    agency_references = [a[0].short_name, str(a[1].pk), a[2].short_name.lower()]
    return {
        ("agencies", "kind"): ["ministry", "commission", "office"],
        ("agencies", "parent"): ids([rows.agencies[0].parent, a[0], a[1]]),
        ("memberships", "agency"): agency_references,
        ("memberships", "user"): ids(u),
        ("memberships", "role"): ["viewer", "editor", "manager"],
        ("initiatives", "status"): ["announced", "in_progress", "stalled"],
        ("initiatives", "confidence"): ["green", "amber", "red"],
        ("initiatives", "owner_agency"): agency_references,
        ("initiatives", "agency"): agency_references,
        ("initiatives", "parent"): ids(rows.programmes),
        ("initiatives", "tag"): ["tag-0", "tag-1", "tag-2"],
        ("milestones", "initiative"): ids(i),
        ("milestones", "agency"): agency_references,
        ("milestones", "status"): ["planned", "in_progress", "cancelled"],
        ("milestones", "owner"): ids(u),
        ("milestones", "due_status"): ["overdue", "due_soon", "cancelled"],
        ("updates", "initiative"): ids(i),
        ("updates", "author"): ids(u),
        ("indicators", "initiative"): ids(i),
        ("indicators", "direction"): ["increase", "decrease", "maintain"],
        ("indicators", "kind"): ["binding", "anticipatory", "binding"],  # two kinds only
        ("readings", "indicator"): ids(rows.indicators),
        ("readings", "initiative"): ids(i),
    }


def found(client: APIClient, collection: str, query: str) -> list[int]:
    response = client.get(f"/api/v1/{collection}/?page_size=200&{query}")
    assert response.status_code == 200, (collection, query, response.content)
    return sorted(row["id"] for row in response.json()["results"])


def test_every_multi_value_filter_reads_both_forms_and_mixes_alike(
    world: World, rows: Rows
) -> None:
    client = world.client("superuser")  # sees every membership
    wrong = []
    for (collection, parameter), values in cases(rows).items():
        # given what each value selects alone
        alone = [found(client, collection, f"{parameter}={value}") for value in values]
        assert all(alone), (collection, parameter, "a value that selects nothing proves nothing")
        union = sorted(set().union(*alone))
        assert union != alone[-1], (collection, parameter)  # the last value alone is not all
        first, second, third = values
        # when the values come repeated, as a comma list, or mixed
        repeated = found(
            client, collection, f"{parameter}={first}&{parameter}={second}&{parameter}={third}"
        )
        comma = found(client, collection, f"{parameter}={first},{second},{third}")
        mixed = found(client, collection, f"{parameter}={first},{second}&{parameter}={third}")
        # then they all select the rows of any of the values
        if not repeated == comma == mixed == union:
            wrong.append((collection, parameter, {"repeated": repeated, "comma": comma}))
    assert wrong == []


@pytest.mark.parametrize(
    ("collection", "first", "second"),
    [
        ("initiatives", "-status", "id"),
        ("milestones", "-title", "id"),
        ("agencies", "-name", "id"),
    ],
)
def test_ordering_reads_both_forms_alike(
    world: World, rows: Rows, collection: str, first: str, second: str
) -> None:
    client = world.client("superuser")

    def order(query: str) -> list[int]:
        response = client.get(f"/api/v1/{collection}/?page_size=200&{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    repeated = order(f"ordering={first}&ordering={second}")
    assert repeated == order(f"ordering={first},{second}")
    assert repeated != order(f"ordering={second}")  # the last key alone orders otherwise


def test_a_bad_value_among_repeated_ones_is_a_400_naming_the_parameter(editor: APIClient) -> None:
    response = editor.get("/api/v1/milestones/?status=planned&status=someday")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_an_unknown_agency_with_a_percent_sign_is_a_400_naming_it(editor: APIClient) -> None:
    # Found by the schema fuzzing: the message was formatted with the reference in it.
    response = editor.get("/api/v1/milestones/", {"agency": ["MIIT", "50%s"]})
    assert response.status_code == 400
    assert response.json() == {"agency": ["No agency with id or short name 50%s."]}


def test_every_multi_value_filter_of_the_api_is_tested_above(world: World, rows: Rows) -> None:
    tested = set(cases(rows))
    multi = set()
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is None:
            continue
        for name, filter_ in filterset.base_filters.items():
            takes_lists = isinstance(filter_, BaseCSVFilter)
            assert isinstance(filter_, MultiValueFilter) or not takes_lists, (
                f"{filterset.__name__}.{name} takes a comma list but not repeated values"
            )
            if isinstance(filter_, MultiValueFilter) and name != "ordering":
                multi.add((prefix, name))
    # (the calendar feed takes the milestone filters)
    assert CalendarFeedView.filterset_class is MilestoneFilterSet
    assert multi == tested


def test_the_schema_documents_multi_value_filters_as_repeated_arrays(editor: APIClient) -> None:
    schema = yaml.safe_load(editor.get("/api/v1/schema/").content)
    arrays = {}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") == "array":
                    assert (parameter["style"], parameter["explode"]) == ("form", True), path
                    assert "separate" in parameter["description"], (path, parameter["name"])
                    arrays[(path, parameter["name"])] = parameter["schema"]["items"]
    assert arrays[("/api/v1/initiatives/", "status")]["type"] == "string"
    assert arrays[("/api/v1/milestones/", "status")]["enum"] == sorted(
        ["planned", "in_progress", "done", "cancelled"]
    )
    for path, name in [
        ("/api/v1/initiatives/", "owner_agency"),
        ("/api/v1/initiatives/", "agency"),
        ("/api/v1/milestones/", "agency"),
        ("/api/v1/initiatives/", "tag"),
    ]:
        assert arrays[(path, name)]["type"] == "string", (path, name)  # ids or short names
    for path, name in [
        ("/api/v1/initiatives/", "parent"),
        ("/api/v1/milestones/", "initiative"),
        ("/api/v1/milestones/", "owner"),
        ("/api/v1/milestones/export/", "initiative"),
        ("/api/v1/calendar.ics", "initiative"),
    ]:
        assert arrays[(path, name)]["type"] == "integer", (path, name)
