"""Every writable relation: a row cannot be moved to another agency's parent, nor point at
another agency's programme or people, by the API or the admin (one rule: initiatives.access)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from rest_framework.test import APIClient

from initiatives.access import choosable
from initiatives.models import Indicator, Initiative, Milestone
from initiatives.tokens import token_issue
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Agencies:
    """An editor of MIIT; MIIT's and NDRC's work; a member of each; someone in neither."""

    editor: Any
    mine: Initiative
    theirs: Initiative
    colleague: Any
    stranger: Any
    outsider: Any

    def client(self) -> APIClient:
        _, token = token_issue(user=self.editor, name="t")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


@pytest.fixture
def agencies() -> Agencies:
    miit, ndrc = AgencyFactory(short_name="MIIT"), AgencyFactory(short_name="NDRC")
    editor = MembershipFactory(agency=miit, role="editor").user
    return Agencies(
        editor=editor,
        mine=InitiativeFactory(owner_agency=miit),
        theirs=InitiativeFactory(owner_agency=ndrc),
        colleague=MembershipFactory(agency=miit, role="viewer").user,
        stranger=MembershipFactory(agency=ndrc, role="editor").user,
        outsider=UserFactory(),
    )


def indicator_of(initiative: Initiative) -> Indicator:
    return IndicatorFactory(initiative=initiative)


# (path, make the editor's own row, relation, the other agency's value)
MOVES: list[tuple[str, Callable[[Agencies], Any], str, Callable[[Agencies], Any]]] = [
    ("indicators", lambda a: indicator_of(a.mine), "initiative", lambda a: a.theirs.pk),
    (
        "readings",
        lambda a: IndicatorReadingFactory(indicator=indicator_of(a.mine), source=None),
        "indicator",
        lambda a: indicator_of(a.theirs).pk,
    ),
    (
        "initiatives",
        lambda a: a.mine,
        "owner_agency",
        lambda a: a.theirs.owner_agency_id,
    ),
    (
        "milestones",
        lambda a: MilestoneFactory(initiative=a.mine),
        "initiative",
        lambda a: a.theirs.pk,
    ),
]


@pytest.mark.parametrize(("path", "make", "relation", "foreign"), MOVES)
def test_a_row_cannot_move_to_another_agencys_parent(
    agencies: Agencies,
    path: str,
    make: Callable[[Agencies], Any],
    relation: str,
    foreign: Callable[[Agencies], Any],
) -> None:
    row = make(agencies)
    value = foreign(agencies)
    before = type(row).objects.values().get(pk=row.pk)
    response = agencies.client().patch(f"/api/v1/{path}/{row.pk}/", {relation: value})
    assert response.status_code in (400, 403), response.content
    assert type(row).objects.values().get(pk=row.pk) == before


def test_an_editor_of_both_agencies_may_move_an_indicator(agencies: Agencies) -> None:
    MembershipFactory(user=agencies.editor, agency=agencies.theirs.owner_agency, role="editor")
    indicator = indicator_of(agencies.mine)
    response = agencies.client().patch(
        f"/api/v1/indicators/{indicator.pk}/", {"initiative": agencies.theirs.pk}
    )
    assert response.status_code == 200, response.content
    assert Indicator.objects.get(pk=indicator.pk).initiative == agencies.theirs


# (path, make the editor's own row, relation, a value outside their agencies)
CHOICES: list[tuple[str, Callable[[Agencies], Any], str, Callable[[Agencies], Any]]] = [
    ("initiatives", lambda a: a.mine, "parent", lambda a: a.theirs),
    ("milestones", lambda a: MilestoneFactory(initiative=a.mine), "owner", lambda a: a.stranger),
    ("milestones", lambda a: MilestoneFactory(initiative=a.mine), "owner", lambda a: a.outsider),
]


@pytest.mark.parametrize(("path", "make", "relation", "foreign"), CHOICES)
def test_the_api_refuses_a_choice_the_admin_does_not_offer(
    agencies: Agencies,
    path: str,
    make: Callable[[Agencies], Any],
    relation: str,
    foreign: Callable[[Agencies], Any],
) -> None:
    # given a row of the editor's agency, and a value of another agency (or of none)
    row, value = make(agencies), foreign(agencies)
    # then the admin does not offer it
    allowed = choosable(agencies.editor, relation)
    assert allowed is not None
    assert not allowed.filter(pk=value.pk).exists()
    request = RequestFactory().get("/admin/")
    request.user = agencies.editor
    model_admin = admin.site.get_model_admin(type(row))
    form_field = model_admin.get_form(request, row).base_fields[relation]
    assert value.pk not in {choice.pk for choice in form_field.queryset}
    # and the API refuses it, naming the field, and changes nothing
    response = agencies.client().patch(f"/api/v1/{path}/{row.pk}/", {relation: value.pk})
    assert response.status_code == 400, response.content
    assert "outside your agencies" in response.json()[relation][0]
    row.refresh_from_db()
    assert getattr(row, f"{relation}_id") is None


@pytest.mark.parametrize("via", ["patch", "progress update"])
def test_superseded_by_follows_the_same_rule(agencies: Agencies, via: str) -> None:
    client, url = agencies.client(), f"/api/v1/initiatives/{agencies.mine.pk}/"
    if via == "patch":
        response = client.patch(url, {"superseded_by": agencies.theirs.pk})
    else:
        body = {"body": "Replaced", "status": "superseded", "superseded_by": agencies.theirs.pk}
        response = client.post(f"{url}updates/", body)
    assert response.status_code == 400, response.content
    assert "outside your agencies" in response.json()["superseded_by"][0]
    initiative = Initiative.objects.get(pk=agencies.mine.pk)
    assert (initiative.status, initiative.superseded_by) == ("announced", None)


def test_choices_inside_the_agency_are_accepted(agencies: Agencies) -> None:
    client = agencies.client()
    milestone = MilestoneFactory(initiative=agencies.mine)
    response = client.patch(f"/api/v1/milestones/{milestone.pk}/", {"owner": agencies.colleague.pk})
    assert response.status_code == 200, response.content
    programme = InitiativeFactory(owner_agency=agencies.mine.owner_agency)
    response = client.patch(f"/api/v1/initiatives/{agencies.mine.pk}/", {"parent": programme.pk})
    assert response.status_code == 200, response.content
    assert Milestone.objects.get(pk=milestone.pk).owner == agencies.colleague


def test_a_superuser_may_choose_anything(agencies: Agencies) -> None:
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert choosable(superuser, "owner") is None
    _, token = token_issue(user=superuser, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    milestone = MilestoneFactory(initiative=agencies.mine)
    response = client.patch(f"/api/v1/milestones/{milestone.pk}/", {"owner": agencies.stranger.pk})
    assert response.status_code == 200, response.content
    assert Milestone.objects.get(pk=milestone.pk).owner == agencies.stranger
