"""Completion dates are not in the future and not before the announcement (on-time rates
depend on them), whichever way a completion is recorded."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.test import RequestFactory
from rest_framework.test import APIClient

from initiatives.dates import OUT_OF_RANGE, local_today
from initiatives.models import Initiative, Milestone
from tests.factories import InitiativeFactory, MilestoneFactory, UserFactory
from tests.initiatives.api.conftest import World

ANNOUNCED = datetime.date(2023, 3, 1)
FUTURE = "A completion date cannot be in the future."
EARLY = "A completion date cannot be before the announcement (2023-03-01)."


def tomorrow() -> str:
    return (local_today() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def initiative(world: World) -> Initiative:
    return InitiativeFactory(owner_agency=world.lead, announced_on=ANNOUNCED)


@pytest.mark.parametrize(
    ("completed_on", "message"),
    [("1000-01-01", OUT_OF_RANGE), ("2999-01-01", OUT_OF_RANGE), ("2023-02-28", EARLY)],
)
def test_completing_a_milestone_refuses_dates_that_cannot_be(
    editor: APIClient, initiative: Initiative, completed_on: str, message: str
) -> None:
    milestone = MilestoneFactory(initiative=initiative)
    url = f"/api/v1/milestones/{milestone.pk}/complete/"
    response = editor.post(url, {"completed_on": completed_on})
    assert response.status_code == 400, response.content
    assert message in response.json()["completed_on"]
    milestone.refresh_from_db()
    assert (milestone.status, milestone.version) == ("planned", 1)


def test_completing_a_milestone_tomorrow_is_refused(
    editor: APIClient, initiative: Initiative
) -> None:
    milestone = MilestoneFactory(initiative=initiative)
    response = editor.post(
        f"/api/v1/milestones/{milestone.pk}/complete/", {"completed_on": tomorrow()}
    )
    assert (response.status_code, response.json()) == (400, {"completed_on": [FUTURE]})
    # the day of the announcement and today are fine
    assert (
        editor.post(
            f"/api/v1/milestones/{milestone.pk}/complete/", {"completed_on": "2023-03-01"}
        ).json()["completed_on"]
        == "2023-03-01"
    )


def test_an_update_that_completes_the_initiative_is_checked_alike(
    editor: APIClient, initiative: Initiative
) -> None:
    url = f"/api/v1/initiatives/{initiative.pk}/updates/"
    for day, message in ((tomorrow(), FUTURE), ("2022-12-31", EARLY)):
        body = {"body": "Delivered", "status": "completed", "completed_on": day}
        response = editor.post(url, body)
        assert (response.status_code, response.json()) == (400, {"completed_on": [message]})
    initiative.refresh_from_db()
    assert (initiative.status, initiative.completed_on) == ("announced", None)


def test_the_admin_checks_them_by_the_same_rule(initiative: Initiative) -> None:
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    milestone = MilestoneFactory(initiative=initiative)
    form_class = admin.site.get_model_admin(Milestone).get_form(request, milestone)
    data = {"initiative": initiative.pk, "title": milestone.title, "status": "done"}
    data |= {"due_date": "2030-06-30", "completed_on": tomorrow()}
    form = form_class(data=data, instance=milestone)
    assert not form.is_valid()
    assert FUTURE in form.errors["completed_on"]
