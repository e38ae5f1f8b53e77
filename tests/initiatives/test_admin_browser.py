"""The admin in a real headless browser (Debian's Chromium driven by Playwright): an editor
posts a progress update, adds a milestone inline and marks another done with the bulk action,
and the results are in the database and in the REST API."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from initiatives.models import Membership, Milestone
from initiatives.tokens import token_issue
from tests.conftest import service_missing
from tests.factories import (
    AgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        service_missing("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # synchronous and safe, so Django's guard against ORM calls in async code stands down.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_editor_keeps_an_initiative_current(browser: Any, live_server: Any, tmp_path: Path) -> None:
    # given an editor of the lead agency and an initiative with one milestone
    agency = AgencyFactory(short_name="MIIT")
    editor = UserFactory(username="editor", is_staff=True)
    MembershipFactory(user=editor, agency=agency, role=Membership.Role.EDITOR)
    initiative = InitiativeFactory(owner_agency=agency, title="Light Chasing Action")
    pilot = MilestoneFactory(initiative=initiative, title="Pilot cities chosen")
    page = browser.new_page()
    page.set_default_timeout(15000)
    # when the editor signs in
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    # and posts an update setting confidence to amber, and adds a milestone inline
    page.goto(f"{live_server.url}/admin/initiatives/initiative/{initiative.pk}/change/")
    page.fill("textarea[name=updates-0-body]", "Supplier risk on optical modules")
    page.select_option("select[name=updates-0-confidence]", "amber")
    page.click("#milestones-group .add-row a")
    page.fill("input[name=milestones-1-title]", "Standards drafted")
    page.fill("input[name=milestones-1-due_date]", "2031-01-31")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(tmp_path / "initiative.png"), full_page=True)
    # and marks the pilot milestone done with the bulk action
    page.goto(f"{live_server.url}/admin/initiatives/milestone/")
    page.check(f"input[name=_selected_action][value='{pilot.pk}']")
    page.select_option("select[name=action]", "mark_done")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    # then the database has it all, through the services
    initiative.refresh_from_db()
    assert initiative.confidence == "amber"
    update = initiative.updates.get()
    assert (update.author, update.confidence) == (editor, "amber")
    added = Milestone.objects.get(title="Standards drafted")
    assert added.baseline_due_date == datetime.date(2031, 1, 31)
    pilot.refresh_from_db()
    assert pilot.status == "done"
    assert pilot.history.first().history_user == editor
    # and so does the REST API
    _, token = token_issue(user=editor, name="check")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = api.get(f"/api/v1/initiatives/{initiative.pk}/").json()
    assert (body["confidence"], body["open_milestones"]) == ("amber", 1)
    assert api.get(f"/api/v1/milestones/{pilot.pk}/").json()["status"] == "done"
