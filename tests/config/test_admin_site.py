"""The admin site's index: the domain's sections, and the security tables in one section of
their own that only superusers see."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from initiatives.models import Membership
from initiatives.tokens import token_issue
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SECURITY_TABLES = {"AccessAttempt", "AccessFailureLog", "AccessLog", "AccessToken"}


def sections(response: Any) -> dict[str, set[str]]:
    """The index's sections, each with the models it lists (by class name)."""
    assert response.status_code == 200
    return {
        str(app["name"]): {model["object_name"] for model in app["models"]}
        for app in response.context["app_list"]
    }


def test_superusers_find_the_security_tables_in_a_section_of_their_own(client: Client) -> None:
    # given
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    # when
    index = sections(client.get(reverse("admin:index")))
    # then the axes tables and the access tokens are together under "Security"
    assert index["Security"] == SECURITY_TABLES
    # and no other section lists any of them
    others = {name: models for name, models in index.items() if name != "Security"}
    assert "Axes" not in others
    assert {"Initiative", "Milestone", "Agency"} <= others["Initiatives"]
    assert all(not models & SECURITY_TABLES for models in others.values())
    # and the sidebar of every page shows the same sections
    page = client.get(reverse("admin:initiatives_initiative_changelist"))
    assert {str(app["name"]) for app in page.context["available_apps"]} == set(index)
    # and the section's link opens a page with the whole section
    security_page = client.get(reverse("admin:app_list", kwargs={"app_label": "axes"}))
    assert sections(security_page) == {"Security": SECURITY_TABLES}
    domain_page = client.get(reverse("admin:app_list", kwargs={"app_label": "initiatives"}))
    assert sections(domain_page) == {"Initiatives": others["Initiatives"]}


def test_staff_without_superuser_rights_see_no_security_tables(client: Client) -> None:
    # given an editor who holds a token of their own, and someone else's token
    editor = UserFactory(username="editor", is_staff=True)
    MembershipFactory(user=editor, role=Membership.Role.EDITOR)
    token_issue(user=editor, name="calendar")
    token_issue(user=UserFactory(username="other"), name="dashboard")
    client.force_login(editor)
    # when
    index = sections(client.get(reverse("admin:index")))
    # then they see their domain, and neither the axes tables nor any token
    assert "Security" not in index
    assert "Axes" not in index
    assert {"Initiative", "Milestone"} <= index["Initiatives"]
    assert all(not models & SECURITY_TABLES for models in index.values())
    # and no token page opens for them: the admin manages no one's tokens but a superuser's
    # (their own calendar tokens are the API's feed-tokens/)
    changelist = reverse("admin:initiatives_accesstoken_changelist")
    assert client.get(changelist).status_code == 403
    assert client.get(reverse("admin:app_list", kwargs={"app_label": "axes"})).status_code == 404
