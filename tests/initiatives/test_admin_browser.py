"""The admin in a real headless browser (Debian's Chromium driven by Playwright): an editor
posts a progress update, adds a milestone inline and marks another done with the bulk action,
and the results are in the database and in the REST API; and the pages staff use fit a laptop's
screen, with screenshots of each in var/screenshots/ to look at."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models.functions import Length
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives import services
from initiatives.dates import local_today
from initiatives.models import Agency, Indicator, Initiative, Membership, Milestone
from initiatives.tokens import token_issue
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    UserFactory,
)
from tracker.models import Reminder

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


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


# --- Layout -------------------------------------------------------------------------------------
LAPTOP = {"width": 1400, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "admin-layout"
# Pages with a long title or name in an input, and that input.
LONG_TEXT = {"initiative": "#id_title", "milestone": "#id_title", "agency": "#id_name"}
# What scrolls sideways: the page itself, and any box inside it that scrolls (a list's results,
# an inline's table). Form controls are left out: a long value scrolls inside its own input.
SIDEWAYS = """() => {
    const boxes = [];
    for (const element of document.querySelectorAll("body *")) {
        if (element.matches("input, select, textarea")) continue;
        const overflow = getComputedStyle(element).overflowX;
        if ((overflow === "auto" || overflow === "scroll")
                && element.scrollWidth > element.clientWidth) {
            boxes.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className}`);
        }
    }
    return {width: document.documentElement.scrollWidth, boxes: boxes};
}"""


def busy_initiative() -> tuple[Initiative, Milestone]:
    """The seed's longest-titled initiative, with what staff attach to one: a timeline,
    milestones owned, moved, overdue and done, a supporting agency, an indicator, reminders."""
    call_command("loaddata", "seed", verbosity=0)
    initiative = Initiative.objects.order_by(Length("title").desc(), "id").first()
    assert initiative is not None
    lead = initiative.owner_agency
    owner = UserFactory(username="zhang.xiaoming", is_staff=True)
    MembershipFactory(user=owner, agency=lead, role=Membership.Role.EDITOR)
    services.progress_update_post(
        initiative=initiative,
        author=owner,
        body=(
            "Two of the five pilot provinces report delays in procuring 10G-PON equipment; the "
            "ministry is coordinating with the three operators to bring delivery forward before "
            "the end of the quarter, and will report again at the next supervision meeting."
        ),
        status=Initiative.Status.IN_PROGRESS,
        confidence=Initiative.Confidence.AMBER,
        progress=35,
    )
    today = local_today()
    day = datetime.timedelta(days=1)
    milestones = [
        MilestoneFactory(
            initiative=initiative,
            title="Gigabit optical network coverage reaches every prefecture-level city",
            due_date=today - 20 * day,
            owner=owner,
        ),
        MilestoneFactory(
            initiative=initiative,
            title="Standalone 5G networks cover every county seat and most townships",
            due_date=today + 5 * day,
            owner=owner,
        ),
        MilestoneFactory(initiative=initiative, title="Broadband reaches every village"),
    ]
    services.milestone_complete(milestone=milestones[2], actor=owner)
    moved = services.milestone_move_due_date(
        milestone=milestones[1],
        due_date=today + 65 * day,
        reason="The spectrum allocation for the county networks was settled two months late.",
        actor=owner,
    )
    supporter = Agency.objects.exclude(pk=lead.pk).first() or AgencyFactory()
    InitiativeAgencyFactory(initiative=initiative, agency=supporter)
    IndicatorFactory(
        initiative=initiative,
        name="Households with gigabit optical fibre access",
        unit="households",
        direction=Indicator.Direction.INCREASE,
        target_value=200_000_000,
    )
    person, office = f"{owner.username}@miit.example.gov.cn", "planning-office@miit.example.gov.cn"
    for milestone, recipient, slot, level, status, attempts in [
        (milestones[0], person, "lead-7", Reminder.Level.NOTICE, Reminder.Status.SENT, 1),
        (milestones[0], office, "overdue-2", Reminder.Level.OVERDUE, Reminder.Status.FAILED, 8),
        (moved, person, "lead-14", Reminder.Level.NOTICE, Reminder.Status.PENDING, 2),
        (milestones[2], person, "due", Reminder.Level.WARNING, Reminder.Status.SKIPPED, 0),
    ]:
        Reminder.objects.create(
            milestone=milestone,
            recipient=recipient,
            recipient_user=owner if recipient == person else None,
            slot=slot,
            due_date=milestone.due_date,
            level=level,
            escalated=recipient == office,
            planned_on=today,
            status=status,
            attempts=attempts,
            last_error="SMTP 451: try again later" if status == Reminder.Status.FAILED else "",
            sent_at=timezone.now() if status == Reminder.Status.SENT else None,
        )
    return initiative, moved


def test_the_pages_staff_use_fit_a_laptop_screen(browser: Any, live_server: Any) -> None:
    # given a superuser (who sees every section) and an initiative that has everything on it
    UserFactory(username="root", is_staff=True, is_superuser=True)
    initiative, milestone = busy_initiative()
    reminder = Reminder.objects.filter(status=Reminder.Status.FAILED).get()
    agency = initiative.owner_agency
    pages = {
        "index": "/admin/",
        "initiatives": "/admin/initiatives/initiative/",
        "initiative": f"/admin/initiatives/initiative/{initiative.pk}/change/",
        "initiative-add": "/admin/initiatives/initiative/add/",
        "milestones": "/admin/initiatives/milestone/",
        "milestone": f"/admin/initiatives/milestone/{milestone.pk}/change/",
        "milestone-add": "/admin/initiatives/milestone/add/",
        "reminders": "/admin/tracker/reminder/",
        "reminder": f"/admin/tracker/reminder/{reminder.pk}/change/",
        "agencies": "/admin/initiatives/agency/",
        "agency": f"/admin/initiatives/agency/{agency.pk}/change/",
        "agency-add": "/admin/initiatives/agency/add/",
    }
    # A browser away from the server's time zone: the date fields then carry the admin's
    # "You are N hours behind server time" notes, their widest form.
    context = browser.new_context(viewport=LAPTOP, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15000)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, cut_short = {}, {}
    for name, path in pages.items():
        # when each page opens at 1400 x 900
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector("#footer", state="attached")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        sideways = page.evaluate(SIDEWAYS)
        if sideways["width"] > LAPTOP["width"] or sideways["boxes"]:
            too_wide[name] = sideways
        if name in LONG_TEXT:
            field = page.locator(LONG_TEXT[name])
            assert field.input_value() != ""
            text, box = field.evaluate("input => [input.scrollWidth, input.clientWidth]")
            if text > box:
                cut_short[name] = {"text": text, "input": box}
    # then nothing scrolls sideways, and long titles and names are shown whole in their inputs
    assert (too_wide, cut_short) == ({}, {})
    # and everything the pages loaded came from the server itself
    outside = [url for url in fetched if not url.startswith((live_server.url, "data:"))]
    assert outside == []
    context.close()
