"""The sweep plans the reminders due today into the ledger: right slot, right people, once."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from initiatives import services as domain
from initiatives.models import InitiativeAgency, Membership
from tests.factories import (
    AgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    UserFactory,
)
from tracker.models import Reminder
from tracker.services import milestones_to_remind, reminders_plan, reminders_sweep

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2024, 6, 19)  # a Wednesday, a working day


@pytest.fixture
def lead() -> Any:
    agency = AgencyFactory(short_name="MIIT", contact_email="office@miit.example")
    return agency


def milestone(lead: Any, due: datetime.date | None, **fields: Any) -> Any:
    return MilestoneFactory(
        initiative=InitiativeFactory(owner_agency=lead),
        due_date=due,
        baseline_due_date=due,
        **fields,
    )


def ledger() -> set[tuple[str, str, str, bool]]:
    return set(Reminder.objects.values_list("recipient", "slot", "level", "escalated"))


def test_owner_gets_the_slot_due_today(lead: Any) -> None:
    owner = UserFactory(email="owner@example.org")
    milestone(lead, D(2024, 6, 26), owner=owner)  # seven days ahead
    assert reminders_plan(today=TODAY) == 1
    assert ledger() == {("owner@example.org", "lead-7", "notice", False)}


def test_without_owner_the_lead_agencys_editors_and_managers(lead: Any) -> None:
    MembershipFactory(agency=lead, role=Membership.Role.EDITOR, user__email="ed@example.org")
    MembershipFactory(agency=lead, role=Membership.Role.MANAGER, user__email="boss@example.org")
    MembershipFactory(agency=lead, role=Membership.Role.VIEWER, user__email="viewer@example.org")
    milestone(lead, TODAY)
    reminders_plan(today=TODAY)
    assert ledger() == {
        ("ed@example.org", "due", "warning", False),
        ("boss@example.org", "due", "warning", False),
    }


def test_without_anyone_the_agency_contact_address(lead: Any) -> None:
    milestone(lead, D(2024, 6, 18))
    reminders_plan(today=TODAY)
    assert ledger() == {("office@miit.example", "overdue-0", "overdue", False)}


def test_long_overdue_escalates_to_managers_and_the_supervising_agency(lead: Any) -> None:
    owner = UserFactory(email="owner@example.org")
    MembershipFactory(agency=lead, role=Membership.Role.MANAGER, user__email="boss@example.org")
    late = milestone(lead, D(2024, 5, 29), owner=owner)  # three weeks late
    supervisor = AgencyFactory(short_name="SUP", contact_email="sup@example.org")
    InitiativeAgency.objects.create(
        initiative=late.initiative, agency=supervisor, role=InitiativeAgency.Role.SUPERVISING
    )
    reminders_plan(today=TODAY)
    assert ledger() == {
        ("owner@example.org", "overdue-2", "overdue", True),
        ("boss@example.org", "overdue-2", "overdue", True),
        ("sup@example.org", "overdue-2", "overdue", True),
    }


def test_a_reminder_that_reaches_nobody_is_kept_in_the_ledger_with_why() -> None:
    # given a milestone whose owner has no address, in an agency with nobody to remind
    nobody = AgencyFactory(short_name="NDRC", contact_email="")
    MembershipFactory(agency=nobody, role=Membership.Role.EDITOR, user__email="")
    milestone(nobody, TODAY, owner=UserFactory(email=""))
    # when the sweep runs, twice
    assert reminders_plan(today=TODAY) == 0
    assert reminders_plan(today=TODAY) == 0
    # then the ledger keeps one reminder for it, to nobody, saying why
    (row,) = Reminder.objects.all()
    assert (row.status, row.recipient, row.slot) == ("unreached", "", "due")
    assert row.last_error == (
        "No recipient: its owner has no email address, NDRC has no active editor or manager "
        "with an email address, and NDRC has no contact address."
    )


def test_an_escalation_that_reaches_nobody_is_kept_beside_the_reminders_that_go() -> None:
    # given a milestone three weeks late, with an owner, and neither a manager nor a supervisor
    lead = AgencyFactory(short_name="MIIT", contact_email="office@miit.example")
    milestone(lead, D(2024, 5, 29), owner=UserFactory(email="owner@example.org"))
    # when the sweep runs
    assert reminders_plan(today=TODAY) == 1
    # then the owner's reminder goes, and the escalation is on record as reaching nobody
    assert ledger() == {
        ("owner@example.org", "overdue-2", "overdue", True),
        ("", "overdue-2", "overdue", True),
    }
    assert Reminder.objects.get(status="unreached").last_error == (
        "The escalation reaches nobody: MIIT has no active manager with an email address, and "
        "no supervising agency has a contact address."
    )


def test_running_the_sweep_twice_plans_nothing_new(lead: Any) -> None:
    milestone(lead, TODAY, owner=UserFactory(email="owner@example.org"))
    assert reminders_plan(today=TODAY) == 1
    assert reminders_plan(today=TODAY) == 0
    assert Reminder.objects.count() == 1


def test_no_reminders_for_closed_or_undated_milestones(lead: Any) -> None:
    owner = UserFactory(email="owner@example.org")
    milestone(lead, TODAY, owner=owner, status="done", completed_on=TODAY)
    milestone(lead, TODAY, owner=owner, status="cancelled")
    milestone(lead, None, owner=owner)
    assert reminders_plan(today=TODAY) == 0


def test_nothing_on_a_day_off(lead: Any) -> None:
    milestone(lead, D(2024, 6, 21), owner=UserFactory(email="owner@example.org"))
    assert reminders_plan(today=D(2024, 6, 22)) == 0  # Saturday


def test_moving_the_due_date_re_arms_the_reminders(lead: Any) -> None:
    owner = UserFactory(email="owner@example.org")
    row = milestone(lead, D(2024, 6, 20), owner=owner)
    reminders_plan(today=TODAY)
    domain.milestone_move_due_date(
        milestone=row, due_date=D(2024, 6, 26), reason="Delay", actor=None
    )
    reminders_plan(today=TODAY)
    assert set(Reminder.objects.values_list("slot", "due_date")) == {
        ("lead-1", D(2024, 6, 20)),
        ("lead-7", D(2024, 6, 26)),
    }


def test_a_milestone_added_late_gets_only_the_most_urgent_slot(lead: Any) -> None:
    milestone(lead, D(2024, 6, 24), owner=UserFactory(email="owner@example.org"))
    reminders_plan(today=D(2024, 6, 21))  # lead-14 and lead-7 passed unsent; lead-1 is today
    assert set(Reminder.objects.values_list("slot", flat=True)) == {"lead-1"}


def test_the_sweep_judges_today_in_time_zone(lead: Any, settings: Any, time_machine: Any) -> None:
    # 16:30 UTC on Tuesday 18 June is already Wednesday 19 June in Shanghai
    settings.TIME_ZONE = "Asia/Shanghai"
    time_machine.move_to(datetime.datetime(2024, 6, 18, 16, 30, tzinfo=datetime.UTC))
    milestone(lead, D(2024, 6, 19), owner=UserFactory(email="owner@example.org"))
    planned = reminders_sweep()
    assert planned == 1
    assert Reminder.objects.get().slot == "due"


def test_after_a_daily_sweep_only_new_slots_and_changed_milestones_are_read(lead: Any) -> None:
    # given yesterday's sweep planned an overdue reminder
    owner = UserFactory(email="owner@example.org")
    late = milestone(lead, D(2024, 6, 10), owner=owner)
    reminders_sweep(today=D(2024, 6, 18))
    assert set(Reminder.objects.values_list("slot", flat=True)) == {"overdue-1"}
    # when today's sweep runs, the milestone whose slot is not new is not even read
    candidates, _ = milestones_to_remind(D(2024, 6, 19))
    assert late not in candidates
    # but one added since, with a slot that passed, is
    added = milestone(lead, D(2024, 6, 25), owner=owner)
    candidates, _ = milestones_to_remind(D(2024, 6, 19))
    assert added in candidates
    reminders_sweep(today=D(2024, 6, 19))
    assert Reminder.objects.filter(milestone=added, slot="lead-7").exists()
