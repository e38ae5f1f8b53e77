"""Dates have a sane range wherever they are entered, and no date can stop a sweep or a feed."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from initiatives.dates import EARLIEST_DATE, LATEST_DATE, OUT_OF_RANGE
from initiatives.models import Milestone
from initiatives.tokens import token_issue
from tests.factories import (
    AgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    SourceFactory,
    UserFactory,
)
from tracker import policy
from tracker.models import Reminder
from tracker.services import due_dates_to_consider, reminders_plan
from tracker.services.planning import DAY_BY_DAY_DAYS

pytestmark = pytest.mark.django_db
D = datetime.date
EXTREMES = ["0001-01-01", "1823-06-01", "1899-12-31", "2200-01-01", "9999-12-31"]
TODAY = D(2024, 6, 19)  # a working day
DATE_LITERAL = re.compile(r"'\d{4}-\d\d-\d\d'")


@pytest.fixture
def editor_and_initiative() -> tuple[APIClient, Any]:
    membership = MembershipFactory(role="editor")
    _, token = token_issue(user=membership.user, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, InitiativeFactory(owner_agency=membership.agency)


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("milestones/", "due_date"),
        ("initiatives/{id}/", "announced_on"),
        ("initiatives/{id}/", "start_date"),
        ("initiatives/{id}/", "target_date"),
        ("indicators/", "target_date"),
        ("indicators/", "baseline_date"),
    ],
)
def test_the_api_refuses_dates_out_of_range_naming_the_field(
    editor_and_initiative: tuple[APIClient, Any], path: str, field: str, value: str
) -> None:
    client, initiative = editor_and_initiative
    bodies = {
        "milestones/": {"initiative": initiative.pk, "title": "Plan"},
        "indicators/": {"initiative": initiative.pk, "name": "Base stations", "unit": "stations"},
    }
    url = f"/api/v1/{path.format(id=initiative.pk)}"
    body = {**bodies.get(path, {}), field: value}
    response = client.patch(url, body) if "{id}" in path else client.post(url, body)
    assert response.status_code == 400, response.content
    assert response.json()[field] == [OUT_OF_RANGE]
    assert not Milestone.objects.exists()
    initiative.refresh_from_db()
    assert initiative.version == 1


def test_the_ends_of_the_range_are_accepted(editor_and_initiative: tuple[APIClient, Any]) -> None:
    client, initiative = editor_and_initiative
    for day in (EARLIEST_DATE, LATEST_DATE):
        body = {"initiative": initiative.pk, "title": "Plan", "due_date": day.isoformat()}
        response = client.post("/api/v1/milestones/", body)
        assert response.status_code == 201, response.content


def admin_date_fields() -> list[tuple[type[Model], str]]:
    """Every date field of every admin add form: where staff enter dates."""
    found = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        if not model_admin.has_add_permission(superuser_request()):
            continue  # a record the system writes (the reminder ledger, its sweeps)
        form_class = model_admin.get_form(superuser_request())
        found += [
            (model, name)
            for name, field in form_class.base_fields.items()
            if isinstance(field, forms.DateField)
        ]
    return found


def superuser_request() -> Any:
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def test_the_admin_offers_date_fields_to_check() -> None:
    assert {(m.__name__, name) for m, name in admin_date_fields()} >= {
        ("Milestone", "due_date"),
        ("Milestone", "completed_on"),
        ("Initiative", "announced_on"),
        ("Source", "published_on"),
        ("IndicatorReading", "observed_on"),
    }


@pytest.mark.parametrize("value", ["0001-01-01", "1823-06-01", "9999-12-31"])
def test_every_admin_date_field_refuses_them(value: str) -> None:
    for model, name in admin_date_fields():
        form_class = admin.site.get_model_admin(model).get_form(superuser_request())
        form = form_class(data={name: value})
        assert not form.is_valid()
        assert OUT_OF_RANGE in form.errors.get(name, []), (model.__name__, name, form.errors)


@pytest.mark.parametrize("day", [D(1, 1, 1), D(9999, 12, 31)])
def test_the_database_refuses_them_whatever_the_path(day: datetime.date) -> None:
    milestone = MilestoneFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(due_date=day)
    source = SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(source).objects.filter(pk=source.pk).update(published_on=day)


def test_an_ancient_due_date_costs_the_sweep_one_date_not_one_a_day() -> None:
    # given a milestone due on the earliest day there can be, another due long ago on a day with
    # an overdue reminder today, and one due next week; all with an owner to remind
    owner = UserFactory()
    ancient = MilestoneFactory(due_date=EARLIEST_DATE, owner=owner)
    long_ago = next(
        day
        for day in (EARLIEST_DATE + datetime.timedelta(days=n) for n in range(1, 30))
        if (slot := policy.most_urgent_slot(day, TODAY)) and slot.send_on == TODAY
    )
    reminded = MilestoneFactory(due_date=long_ago, owner=owner)
    soon = MilestoneFactory(due_date=TODAY + datetime.timedelta(days=7), owner=owner)
    # then the sweep looks at each stored old date once and every recent day, no more
    considered = list(due_dates_to_consider(TODAY))
    assert {EARLIEST_DATE, long_ago} <= set(considered)
    assert len(considered) < DAY_BY_DAY_DAYS + 100
    # and when it runs, no statement lists a date for every day since
    with CaptureQueriesContext(connection) as queries:
        reminders_plan(today=TODAY)
    listed = max(len(DATE_LITERAL.findall(query["sql"])) for query in queries.captured_queries)
    assert listed < DAY_BY_DAY_DAYS + 100
    reminded_ids = set(Reminder.objects.values_list("milestone_id", flat=True))
    assert {reminded.pk, soon.pk} <= reminded_ids
    ancient_slot = policy.most_urgent_slot(EARLIEST_DATE, TODAY)
    assert (ancient.pk in reminded_ids) == (ancient_slot is not None)


def test_the_calendar_feed_serves_the_ends_of_the_range() -> None:
    initiative = InitiativeFactory(owner_agency=AgencyFactory())
    for day in (EARLIEST_DATE, LATEST_DATE):
        MilestoneFactory(initiative=initiative, due_date=day)
    _, token = token_issue(user=UserFactory(), name="phone", scope="calendar")
    response = APIClient().get("/api/v1/calendar.ics", {"token": token})
    assert response.status_code == 200
    assert response.content.count(b"BEGIN:VEVENT") == 2
    assert b"DURATION:P1D" in response.content
