"""The admin edits through the same rules as every other path, and shows the audit history."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from initiatives.models import AccessToken, Initiative, Membership, Milestone, ProgressUpdate
from initiatives.tokens import digest_of
from tests.factories import InitiativeFactory, MembershipFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin_user_client(client: Client) -> Client:
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def milestone_form(milestone: Milestone, **changes: Any) -> dict[str, Any]:
    data = {
        "initiative": milestone.initiative_id,
        "title": milestone.title,
        "description": "",
        "due_date": milestone.due_date.isoformat() if milestone.due_date else "",
        "move_reason": "",
        "owner": "",
        "status": milestone.status,
        "completed_on": "",
    }
    return data | changes


def test_pages_of_every_model_open(admin_user_client: Client) -> None:
    milestone = MilestoneFactory()
    for url in (
        reverse("admin:initiatives_initiative_changelist"),
        reverse("admin:initiatives_initiative_change", args=[milestone.initiative_id]),
        reverse("admin:initiatives_initiative_history", args=[milestone.initiative_id]),
        reverse("admin:initiatives_milestone_changelist"),
        reverse("admin:initiatives_milestone_change", args=[milestone.pk]),
        reverse("admin:initiatives_agency_changelist"),
        reverse("admin:initiatives_indicator_changelist"),
        reverse("admin:initiatives_progressupdate_add"),
    ):
        assert admin_user_client.get(url).status_code == 200, url


def test_moving_a_due_date_in_the_admin_needs_a_reason(admin_user_client: Client) -> None:
    # given
    milestone = MilestoneFactory(due_date=datetime.date(2030, 6, 30))
    url = reverse("admin:initiatives_milestone_change", args=[milestone.pk])
    # when the date moves without a reason, the form says why and nothing is saved
    response = admin_user_client.post(url, milestone_form(milestone, due_date="2030-09-30"))
    assert response.status_code == 200
    assert "Say why the due date moves." in response.content.decode()
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.version) == (datetime.date(2030, 6, 30), 1)
    # when it moves with one, the baseline stays and the history has who and why
    response = admin_user_client.post(
        url, milestone_form(milestone, due_date="2030-09-30", move_reason="Tender re-run")
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.baseline_due_date == datetime.date(2030, 6, 30)
    assert (milestone.due_date_reason, milestone.version) == ("Tender re-run", 2)
    assert milestone.history.first().history_user.username == "root"


def test_a_reason_without_a_move_is_refused_in_the_admin_as_in_the_api(
    admin_user_client: Client,
) -> None:
    # given a milestone with a baseline, and an editor's API client
    milestone = MilestoneFactory(due_date=datetime.date(2030, 6, 30))
    url = reverse("admin:initiatives_milestone_change", args=[milestone.pk])
    api = APIClient()
    api.force_authenticate(User.objects.get(username="root"))
    # when a reason is given but the date stays, both refuse it on the reason's field
    response = admin_user_client.post(url, milestone_form(milestone, move_reason="No reason"))
    assert response.status_code == 200
    assert "Give a reason together with a new due date." in response.content.decode()
    answer = api.patch(f"/api/v1/milestones/{milestone.pk}/", {"due_date_reason": "No reason"})
    assert answer.status_code == 400
    assert answer.json()["due_date_reason"] == ["Give a reason together with a new due date."]
    # and nothing is saved
    milestone.refresh_from_db()
    assert (milestone.due_date_reason, milestone.version) == ("", 1)


def test_a_moved_milestone_shows_one_reason_field_with_the_stored_reason(
    admin_user_client: Client,
) -> None:
    # given a milestone moved once, for a reason with markup in it
    milestone = MilestoneFactory(due_date=datetime.date(2030, 6, 30))
    milestone.due_date = datetime.date(2030, 9, 30)
    milestone.record_due_date_move(previous=datetime.date(2030, 6, 30), reason="Tender <re-run>")
    milestone.save()
    # when its page opens
    page = admin_user_client.get(reverse("admin:initiatives_milestone_change", args=[milestone.pk]))
    # then one field is about the reason: the one that takes the next move's, and it says why
    # the date moved last time
    html = page.content.decode()
    assert "field-move_reason" in html
    assert "field-due_date_reason" not in html
    assert html.count("Tender &lt;re-run&gt;") == 1
    assert "Tender <re-run>" not in html
    # and a member who only reads it sees the stored reason in that field's place
    viewer = UserFactory(username="viewer", is_staff=True)
    agency = milestone.initiative.owner_agency
    MembershipFactory(user=viewer, agency=agency, role=Membership.Role.VIEWER)
    viewer_client = Client()
    viewer_client.force_login(viewer)
    for url in (
        reverse("admin:initiatives_milestone_change", args=[milestone.pk]),
        reverse("admin:initiatives_initiative_change", args=[milestone.initiative_id]),
    ):
        html = viewer_client.get(url).content.decode()
        assert "field-move_reason" not in html, url
        assert html.count("Tender &lt;re-run&gt;") == 1, url


def test_the_milestone_list_shows_how_far_a_due_date_moved(admin_user_client: Client) -> None:
    # given one milestone on its baseline and one moved a month later
    MilestoneFactory(title="On time", due_date=datetime.date(2030, 6, 30))
    moved = MilestoneFactory(title="Late", due_date=datetime.date(2030, 6, 30))
    moved.due_date = datetime.date(2030, 7, 30)
    moved.record_due_date_move(previous=datetime.date(2030, 6, 30), reason="Tender re-run")
    moved.save()
    # when
    html = admin_user_client.get(reverse("admin:initiatives_milestone_changelist")).content
    # then the due date column says it under the date, and only for the moved one
    cells = re.findall(r'<td class="field-due">(.*?)</td>', html.decode())
    assert cells == [
        '<span class="nowrap">June 30, 2030</span>',
        '<span class="nowrap">July 30, 2030</span><br><small>moved 30 days later</small>',
    ]


def test_a_new_milestone_in_the_admin_gets_its_baseline(admin_user_client: Client) -> None:
    initiative = InitiativeFactory()
    data = milestone_form(Milestone(initiative=initiative, title="Pilot", status="planned"))
    data["due_date"] = "2031-01-31"
    response = admin_user_client.post(reverse("admin:initiatives_milestone_add"), data)
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert milestone.baseline_due_date == datetime.date(2031, 1, 31)


def test_the_initiative_pages_show_no_value_a_row_has_not_got_yet(
    admin_user_client: Client,
) -> None:
    # when a new initiative's page opens, it shows no version or time stamps (not yet set)
    html = admin_user_client.get(reverse("admin:initiatives_initiative_add")).content.decode()
    assert "field-created_at" not in html
    assert "DatabaseDefault" not in html
    # and on a stored one, they are there, and the row for a new update has no posting time
    initiative = InitiativeFactory()
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    html = admin_user_client.get(url).content.decode()
    assert "field-created_at" in html
    posted = re.findall(r'<td class="field-posted">\s*<p>(.*?)</p>', html)
    assert set(posted) == {"-"}  # the empty row, and the template of more


def test_posting_an_update_in_the_admin_changes_the_initiative(admin_user_client: Client) -> None:
    initiative = InitiativeFactory()
    response = admin_user_client.post(
        reverse("admin:initiatives_progressupdate_add"),
        {
            "initiative": initiative.pk,
            "body": "Risks on supply",
            "status": "",
            "confidence": "amber",
            "progress": "",
        },
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert (initiative.confidence, initiative.version) == (Initiative.Confidence.AMBER, 2)
    update = ProgressUpdate.objects.get()
    assert update.author is not None
    assert update.author.username == "root"
    # and the posted update cannot be edited
    change = reverse("admin:initiatives_progressupdate_change", args=[update.pk])
    admin_user_client.post(change, {"initiative": initiative.pk, "body": "rewritten"})
    update.refresh_from_db()
    assert update.body == "Risks on supply"


@pytest.mark.parametrize("rows", [5, 50])
def test_initiative_changelist_queries_do_not_grow_with_rows(
    admin_user_client: Client, django_assert_max_num_queries: Any, rows: int
) -> None:
    InitiativeFactory.create_batch(rows)
    with django_assert_max_num_queries(8):
        assert (
            admin_user_client.get(reverse("admin:initiatives_initiative_changelist")).status_code
            == 200
        )


def test_superuser_issues_a_token_in_the_admin_and_sees_it_once(admin_user_client: Client) -> None:
    # given
    owner = UserFactory(username="frontend")
    # when
    response = admin_user_client.post(
        reverse("admin:initiatives_accesstoken_add"),
        {"user": owner.pk, "name": "dashboard", "scope": "api", "expires_in_days": "90"},
        follow=True,
    )
    # then the token is shown once and works
    assert response.status_code == 200
    shown = re.search(r"(itk_[\w-]+) — copy it now", response.content.decode())
    assert shown is not None
    token = AccessToken.objects.get(user=owner)
    assert token.digest == digest_of(shown.group(1))
    assert token.expires_at is not None
    page = admin_user_client.get(reverse("admin:initiatives_accesstoken_change", args=[token.pk]))
    assert shown.group(1) not in page.content.decode()
    # and revoking it shuts it
    admin_user_client.post(
        reverse("admin:initiatives_accesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_are_for_superusers_only(client: Client) -> None:
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(reverse("admin:initiatives_accesstoken_changelist")).status_code == 403
