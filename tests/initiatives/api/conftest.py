"""People with every role around one lead agency, and API clients that act as them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from initiatives.models import Agency, Membership
from initiatives.tokens import token_issue
from tests.factories import AgencyFactory, MembershipFactory, UserFactory

TOKEN_NUMBERS = itertools.count()
ROLES = (
    "anonymous",
    "no_membership",
    "viewer",
    "editor_elsewhere",
    "editor",
    "manager",
    "superuser",
)


@dataclass
class World:
    lead: Agency
    elsewhere: Agency
    users: dict[str, Any]

    def client(self, role: str) -> APIClient:
        """A client acting as ``role``, signed in with a real API token."""
        client = APIClient()
        if role != "anonymous":
            _, token = token_issue(user=self.users[role], name=f"tests {next(TOKEN_NUMBERS)}")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


def make_world() -> World:
    """The lead agency, another agency, and one user in each role around the lead."""
    lead, elsewhere = AgencyFactory(short_name="MIIT"), AgencyFactory(short_name="NDRC")
    users = {
        "no_membership": UserFactory(username="outsider"),
        "viewer": MembershipFactory(agency=lead, role=Membership.Role.VIEWER).user,
        "editor_elsewhere": MembershipFactory(agency=elsewhere, role="editor").user,
        "editor": MembershipFactory(agency=lead, role=Membership.Role.EDITOR).user,
        "manager": MembershipFactory(agency=lead, role=Membership.Role.MANAGER).user,
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    return World(lead=lead, elsewhere=elsewhere, users=users)


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def editor(world: World) -> APIClient:
    return world.client("editor")


def assert_not_served(response: Any, wanted: str, served: str) -> str:
    """``response`` is the 406 of ``?format=wanted`` on a path that serves ``served``; its
    message."""
    assert response.status_code == 406, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["format"]
    (message,) = body["format"]
    assert f"“{wanted}”" in message
    assert f"it serves {served}." in message
    return str(message)
