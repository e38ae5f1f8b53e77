"""Agencies, indicators and readings: their filters, ordering and bad parameters."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeFactory,
)
from tests.initiatives.api.conftest import World


def ids(client: APIClient, url: str, **query: object) -> list[int]:
    response = client.get(url, query)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_agency_filters_and_ordering(world: World, editor: APIClient) -> None:
    bureau = AgencyFactory(
        short_name="BUR", kind="local_government", parent=world.lead, name="Bureau"
    )
    assert ids(editor, "/api/v1/agencies/", kind="local_government") == [bureau.pk]
    assert ids(editor, "/api/v1/agencies/", parent=world.lead.pk) == [bureau.pk]
    assert ids(editor, "/api/v1/agencies/", search="bur") == [bureau.pk]
    assert ids(editor, "/api/v1/agencies/", ordering="short_name") == [
        bureau.pk,
        world.lead.pk,
        world.elsewhere.pk,
    ]


def test_agency_uniqueness_is_a_400(world: World) -> None:
    response = world.client("superuser").post(
        "/api/v1/agencies/", {"name": "Other", "short_name": "miit", "slug": "miit-2"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["short_name: another agency has it (in any letter case)."]
    }


def test_indicator_and_reading_filters(world: World, editor: APIClient) -> None:
    initiative = InitiativeFactory(owner_agency=world.lead)
    kept = IndicatorFactory(initiative=initiative, direction="decrease")
    IndicatorFactory(direction="increase")
    assert ids(editor, "/api/v1/indicators/", initiative=initiative.pk) == [kept.pk]
    assert ids(editor, "/api/v1/indicators/", direction="decrease") == [kept.pk]
    old = IndicatorReadingFactory(indicator=kept, observed_on=datetime.date(2022, 1, 1))
    new = IndicatorReadingFactory(indicator=kept, observed_on=datetime.date(2023, 3, 1))
    IndicatorReadingFactory()
    assert ids(editor, "/api/v1/readings/", indicator=kept.pk) == [new.pk, old.pk]
    assert ids(editor, "/api/v1/readings/", initiative=initiative.pk, ordering="observed_on") == [
        old.pk,
        new.pk,
    ]
    assert ids(editor, "/api/v1/readings/", observed_after="2023-01-01", indicator=kept.pk) == [
        new.pk
    ]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/agencies/", {"kind": "empire"}),
        ("/api/v1/indicators/", {"direction": "sideways"}),
        ("/api/v1/readings/", {"observed_after": "soon"}),
        ("/api/v1/updates/", {"posted_after": "today"}),
        ("/api/v1/memberships/", {"role": "king"}),
    ],
)
def test_bad_parameter_is_a_400_naming_it(
    editor: APIClient, url: str, query: dict[str, str]
) -> None:
    response = editor.get(url, query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)
