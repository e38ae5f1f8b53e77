"""The site's root: where the admin's "View site" link leads."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_admins_view_site_link_leads_back_to_the_admin(client: Client) -> None:
    # given a superuser on the admin's index
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    index = client.get("/admin/").content.decode()
    link = re.search(r'<a href="([^"]*)">View site</a>', index)
    assert link is not None, "the admin shows no View site link"
    # when they follow it
    response = client.get(link.group(1), follow=True)
    # then they are on the admin's index again, not on a 404
    assert response.status_code == 200
    assert response.redirect_chain == [("/admin/", 302)]


def test_the_root_sends_anonymous_visitors_to_the_admin_sign_in(client: Client) -> None:
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
