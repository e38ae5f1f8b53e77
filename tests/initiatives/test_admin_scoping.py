"""Each staff user sees and changes only their agencies' work; superusers everything."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from initiatives.models import Membership, Milestone
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies() -> dict[str, Any]:
    a, b = AgencyFactory(short_name="AAA"), AgencyFactory(short_name="BBB")
    return {
        "a": a,
        "b": b,
        "a_work": InitiativeFactory(owner_agency=a, title="Alpha programme"),
        "b_work": InitiativeFactory(owner_agency=b, title="Bravo programme"),
    }


def staff(agency: Any, role: str) -> User:
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, agency=agency, role=role)
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_editor_sees_only_their_agencys_rows(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    MilestoneFactory(initiative=agencies["a_work"], title="Alpha milestone")
    MilestoneFactory(initiative=agencies["b_work"], title="Bravo milestone")
    for url in (
        reverse("admin:initiatives_initiative_changelist"),
        reverse("admin:initiatives_milestone_changelist"),
    ):
        page = client.get(url).content.decode()
        assert "Alpha" in page
        assert "Bravo" not in page


def test_editor_cannot_open_or_change_another_agencys_rows(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    other = agencies["b_work"]
    change = reverse("admin:initiatives_initiative_change", args=[other.pk])
    response = client.get(change)
    assert response.status_code == 302  # "does not exist" redirect to the admin index
    response = client.post(change, {"title": "Hijacked"})
    assert response.status_code in (302, 403)
    other.refresh_from_db()
    assert other.title == "Bravo programme"
    milestone = MilestoneFactory(initiative=other)
    page = client.get(reverse("admin:initiatives_milestone_change", args=[milestone.pk]))
    assert page.status_code == 302


def test_autocomplete_offers_only_what_the_editor_may_link_to(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    common = {"app_label": "initiatives", "term": ""}
    initiatives = client.get(
        reverse("admin:autocomplete"),
        common | {"model_name": "milestone", "field_name": "initiative"},
    ).json()
    assert [r["text"] for r in initiatives["results"]] == ["Alpha programme"]
    leads = client.get(
        reverse("admin:autocomplete"),
        common | {"model_name": "initiative", "field_name": "owner_agency"},
    ).json()
    assert [r["text"] for r in leads["results"]] == ["AAA"]
    # any agency may support an initiative
    supporters = client.get(
        reverse("admin:autocomplete"),
        common | {"model_name": "initiativeagency", "field_name": "agency"},
    ).json()
    assert {r["text"] for r in supporters["results"]} == {"AAA", "BBB"}


def test_foreign_key_choices_are_limited(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    assert client.get(reverse("admin:initiatives_indicator_add")).status_code == 200
    # the initiative widget validates against the editor's initiatives only
    response = client.post(
        reverse("admin:initiatives_indicator_add"),
        {
            "initiative": agencies["b_work"].pk,
            "name": "Racks",
            "unit": "racks",
            "readings-TOTAL_FORMS": 0,
            "readings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_viewer_reads_but_cannot_save(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.VIEWER))
    own = agencies["a_work"]
    change = reverse("admin:initiatives_initiative_change", args=[own.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    client.post(
        change,
        {"title": "Changed by a viewer", "slug": own.slug, "owner_agency": own.owner_agency_id},
    )
    own.refresh_from_db()
    assert own.title == "Alpha programme"
    assert client.get(reverse("admin:initiatives_initiative_add")).status_code == 403


def test_staff_without_membership_see_nothing(agencies: dict[str, Any]) -> None:
    client = client_for(UserFactory(is_staff=True))
    assert client.get(reverse("admin:initiatives_initiative_changelist")).status_code == 403


def test_superuser_sees_everything(agencies: dict[str, Any]) -> None:
    client = client_for(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:initiatives_initiative_changelist")).content.decode()
    assert "Alpha" in page
    assert "Bravo" in page


def test_editor_posts_an_update_through_the_inline(agencies: dict[str, Any]) -> None:
    # given
    editor = staff(agencies["a"], Membership.Role.EDITOR)
    client = client_for(editor)
    initiative = agencies["a_work"]
    ProgressUpdateFactory(initiative=initiative, body="Earlier note")
    change = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    form = client.get(change).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data |= {"tags": [], "title": initiative.title, "slug": initiative.slug}
    data |= {"owner_agency": initiative.owner_agency_id, "status": initiative.status}
    data |= {"confidence": initiative.confidence, "progress": initiative.progress}
    for prefix, total, initial in (
        ("updates", 2, 1),
        ("milestones", 0, 0),
        ("agency_roles", 0, 0),
        ("indicators", 0, 0),
        ("citations", 0, 0),
    ):
        data |= {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial}
    existing = initiative.updates.get()
    data |= {"updates-0-id": existing.pk, "updates-0-initiative": initiative.pk}
    data |= {
        "updates-1-initiative": initiative.pk,
        "updates-1-body": "Supplier risk",
        "updates-1-confidence": "amber",
    }
    data.pop("announced_on", None)
    data["announced_on"] = "2023-03-01"
    # when
    response = client.post(change, data)
    # then
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    initiative.refresh_from_db()
    assert initiative.confidence == "amber"
    assert initiative.updates.count() == 2
    assert initiative.history.first().history_user == editor


def test_bulk_actions_mark_done_and_move_due_date(agencies: dict[str, Any]) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    mine = MilestoneFactory(initiative=agencies["a_work"], due_date=datetime.date(2030, 6, 30))
    theirs = MilestoneFactory(initiative=agencies["b_work"], due_date=datetime.date(2030, 6, 30))
    changelist = reverse("admin:initiatives_milestone_changelist")
    # the move asks for a date and a reason first
    page = client.post(
        changelist, {"action": "move_due_date", "_selected_action": [mine.pk, theirs.pk]}
    )
    assert "New due date" in page.content.decode()
    client.post(
        changelist,
        {
            "action": "move_due_date",
            "_selected_action": [mine.pk, theirs.pk],
            "apply": "1",
            "due_date": "2030-09-30",
            "reason": "Tender re-run",
        },
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.due_date, mine.baseline_due_date, mine.due_date_reason) == (
        datetime.date(2030, 9, 30),
        datetime.date(2030, 6, 30),
        "Tender re-run",
    )
    assert theirs.due_date == datetime.date(2030, 6, 30)
    client.post(changelist, {"action": "mark_done", "_selected_action": [mine.pk, theirs.pk]})
    assert Milestone.objects.get(pk=mine.pk).status == "done"
    assert Milestone.objects.get(pk=theirs.pk).status == "planned"


@pytest.mark.parametrize("model", ["initiative", "milestone", "indicator", "progressupdate"])
def test_changelist_queries_do_not_grow_with_rows(
    agencies: dict[str, Any], model: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    url = reverse(f"admin:initiatives_{model}_changelist")
    builders = {
        "initiative": lambda: InitiativeFactory(owner_agency=agencies["a"]),
        "milestone": lambda: MilestoneFactory(initiative=agencies["a_work"], owner=UserFactory()),
        "indicator": lambda: IndicatorFactory(initiative=agencies["a_work"]),
        "progressupdate": lambda: ProgressUpdateFactory(
            initiative=agencies["a_work"], author=UserFactory()
        ),
    }
    for _ in range(5):
        builders[model]()
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    for _ in range(45):
        builders[model]()
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(url).status_code == 200
    assert len(fifty) == len(five)
    assert not [
        q for q in fifty.captured_queries if "COUNT(*)" in q["sql"] and "WHERE" not in q["sql"]
    ]


def test_an_update_that_would_break_a_rule_saves_nothing(agencies: dict[str, Any]) -> None:
    # given an editor changing the title and posting an update that sets "superseded" (which
    # needs a successor the timeline row cannot give)
    client = client_for(staff(agencies["a"], Membership.Role.EDITOR))
    initiative = agencies["a_work"]
    change = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    data = {
        "title": "Renamed",
        "slug": initiative.slug,
        "owner_agency": initiative.owner_agency_id,
        "status": initiative.status,
        "confidence": initiative.confidence,
        "progress": 0,
        "announced_on": "2023-03-01",
        "updates-TOTAL_FORMS": 1,
        "updates-INITIAL_FORMS": 0,
        "updates-0-initiative": initiative.pk,
        "updates-0-body": "Replaced by a new plan",
        "updates-0-status": "superseded",
    }
    for prefix in ("milestones", "agency_roles", "indicators", "citations"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    # when
    response = client.post(change, data)
    # then the form says why, and neither the title nor the update was saved
    assert response.status_code == 200
    assert "superseded_by is set exactly when status is superseded" in response.content.decode()
    initiative.refresh_from_db()
    assert (initiative.title, initiative.version) == ("Alpha programme", 1)
    assert not initiative.updates.exists()
