"""The data rules hold in the database itself: every constraint refuses the bad row."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from initiatives import models as domain
from initiatives.models import (
    Initiative,
    InitiativeAgency,
    InitiativeSource,
    Milestone,
    ProgressUpdate,
    Tag,
)
from initiatives.models import initiatives as initiative_models
from initiatives.models import milestones as milestone_models
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _self_reference(factory: Callable[..., Any], field: str) -> Callable[[], Any]:
    def build() -> Any:
        row = factory()
        setattr(row, field, row)
        if field == "superseded_by":
            row.status = Initiative.Status.SUPERSEDED
        row.save()

    return build


def _duplicate(factory: Callable[..., models.Model], **same: Any) -> Callable[[], Any]:
    def build() -> Any:
        factory(**same)
        factory(**same)

    return build


def _cite(**fields: Any) -> Callable[[], Any]:
    def build() -> Any:
        initiative, source = InitiativeFactory(), SourceFactory()
        for _ in range(fields.pop("times", 1)):
            InitiativeSource.objects.create(initiative=initiative, source=source, **fields)

    return build


# (constraint name, a write that breaks it and nothing else)
VIOLATIONS: list[tuple[str, Callable[[], Any]]] = [
    (
        "tag_slug_unique",
        lambda: (
            Tag.objects.create(name="5G", slug="5g"),
            Tag.objects.create(name="Five G", slug="5g"),
        ),
    ),
    (
        "tag_name_unique_ci",
        lambda: (
            Tag.objects.create(name="IoT", slug="iot"),
            Tag.objects.create(name="iot", slug="iot-2"),
        ),
    ),
    ("initiative_source_unique", _cite(excerpt="quoted", times=2)),
    ("citation_excerpt_not_blank", _cite(excerpt="")),
    (
        "agency_short_name_unique_ci",
        lambda: (AgencyFactory(short_name="MIIT"), AgencyFactory(short_name="miit")),
    ),
    ("agency_slug_unique", _duplicate(AgencyFactory, slug="miit")),
    ("agency_name_unique", _duplicate(AgencyFactory, name="Ministry")),
    ("agency_short_name_not_blank", lambda: AgencyFactory(short_name="")),
    ("agency_not_own_parent", _self_reference(AgencyFactory, "parent")),
    (
        "membership_user_agency_unique",
        lambda: MembershipFactory.create_batch(
            2, user=UserFactory(username="u"), agency=AgencyFactory(slug="a")
        ),
    ),
    ("source_url_unique_when_set", _duplicate(SourceFactory, url="https://example.org/report")),
    ("initiative_slug_unique", _duplicate(InitiativeFactory, slug="light-chasing")),
    ("initiative_progress_0_100", lambda: InitiativeFactory(progress=101)),
    (
        "initiative_start_not_after_target",
        lambda: InitiativeFactory(start_date=D(2024, 1, 2), target_date=D(2024, 1, 1)),
    ),
    (
        "initiative_start_not_after_completion",
        lambda: InitiativeFactory(
            status="completed", start_date=D(2024, 1, 2), completed_on=D(2024, 1, 1)
        ),
    ),
    ("initiative_completed_on_iff_finished", lambda: InitiativeFactory(status="completed")),
    (
        "initiative_completed_on_iff_finished",
        lambda: InitiativeFactory(status="partially_completed"),
    ),
    (
        "initiative_completed_on_iff_finished",
        lambda: InitiativeFactory(status="in_progress", completed_on=D(2024, 1, 1)),
    ),
    ("initiative_superseded_by_iff_superseded", lambda: InitiativeFactory(status="superseded")),
    (
        "initiative_superseded_by_iff_superseded",
        lambda: InitiativeFactory(superseded_by=InitiativeFactory()),
    ),
    ("initiative_not_superseded_by_itself", _self_reference(InitiativeFactory, "superseded_by")),
    ("initiative_not_own_parent", _self_reference(InitiativeFactory, "parent")),
    (
        "initiative_agency_unique",
        lambda: InitiativeAgencyFactory.create_batch(
            2, initiative=InitiativeFactory(), agency=AgencyFactory()
        ),
    ),
    ("milestone_completed_on_iff_done", lambda: MilestoneFactory(status="done")),
    (
        "milestone_completed_on_iff_done",
        lambda: MilestoneFactory(status="planned", completed_on=D(2024, 1, 1)),
    ),
    ("milestone_due_date_has_baseline", lambda: MilestoneFactory(baseline_due_date=None)),
    (
        "milestone_moved_due_date_has_reason",
        lambda: MilestoneFactory(due_date=D(2030, 7, 1), baseline_due_date=D(2030, 6, 30)),
    ),
    (
        "milestone_moved_due_date_has_reason",
        lambda: MilestoneFactory(due_date=None, baseline_due_date=D(2030, 6, 30)),
    ),
    ("update_body_not_blank", lambda: ProgressUpdateFactory(body="")),
    ("update_progress_0_100", lambda: ProgressUpdateFactory(progress=101)),
    (
        "indicator_initiative_name_unique",
        lambda: IndicatorFactory.create_batch(
            2, initiative=InitiativeFactory(), name="5G base stations"
        ),
    ),
    (
        "indicator_baseline_date_needs_value",
        lambda: IndicatorFactory(baseline_date=D(2022, 12, 31)),
    ),
    ("indicator_target_date_needs_value", lambda: IndicatorFactory(target_date=D(2025, 12, 31))),
    ("indicator_kind_needs_target", lambda: IndicatorFactory(kind="binding")),
    (
        "indicator_baseline_not_after_target",
        lambda: IndicatorFactory(
            baseline_value=1, baseline_date=D(2026, 1, 1), target_value=2, target_date=D(2025, 1, 1)
        ),
    ),
    (
        "reading_unique_per_source",
        lambda: IndicatorReadingFactory.create_batch(
            2, indicator=IndicatorFactory(), source=SourceFactory(), excerpt="quoted"
        ),
    ),
    (
        "reading_source_has_excerpt",
        lambda: IndicatorReadingFactory(source=SourceFactory(), excerpt=""),
    ),
]


# Every entered date keeps to the range, one constraint per field; the day before the range is
# refused as surely as year 1.
_TOO_EARLY = D(1899, 12, 31)
VIOLATIONS += [
    ("source_published_on_in_range", lambda: SourceFactory(published_on=_TOO_EARLY)),
    ("initiative_announced_on_in_range", lambda: InitiativeFactory(announced_on=D(1, 1, 1))),
    ("initiative_start_date_in_range", lambda: InitiativeFactory(start_date=_TOO_EARLY)),
    ("initiative_target_date_in_range", lambda: InitiativeFactory(target_date=D(9999, 12, 31))),
    (
        "initiative_completed_on_in_range",
        lambda: InitiativeFactory(status="completed", completed_on=D(2200, 1, 1)),
    ),
    (
        "milestone_due_date_in_range",
        lambda: MilestoneFactory(
            due_date=D(1, 1, 1), baseline_due_date=D(2030, 1, 1), due_date_reason="Moved"
        ),
    ),
    (
        "milestone_baseline_due_date_in_range",
        lambda: MilestoneFactory(due_date=None, baseline_due_date=_TOO_EARLY),
    ),
    (
        "milestone_completed_on_in_range",
        lambda: MilestoneFactory(status="done", completed_on=D(9999, 12, 31)),
    ),
    ("indicator_baseline_date_in_range", lambda: IndicatorFactory(baseline_date=_TOO_EARLY)),
    ("indicator_target_date_in_range", lambda: IndicatorFactory(target_date=D(2200, 1, 1))),
    ("reading_observed_on_in_range", lambda: IndicatorReadingFactory(observed_on=D(1, 1, 1))),
]


def _all_constraint_names() -> set[str]:
    return {
        constraint.name
        for model in (
            domain.Agency,
            domain.Membership,
            domain.Source,
            domain.Tag,
            domain.Initiative,
            domain.InitiativeAgency,
            domain.InitiativeSource,
            domain.Milestone,
            domain.ProgressUpdate,
            domain.Indicator,
            domain.IndicatorReading,
        )
        for constraint in model._meta.constraints
    }


def test_every_named_constraint_has_a_violation_test() -> None:
    assert _all_constraint_names() == {name for name, _ in VIOLATIONS}


@pytest.mark.parametrize(("constraint", "write"), VIOLATIONS, ids=[name for name, _ in VIOLATIONS])
def test_database_refuses_row_that_breaks_constraint(
    constraint: str, write: Callable[[], Any]
) -> None:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        write()
    if connection.vendor == "postgresql":
        # PostgreSQL names the constraint it enforced; SQLite names only the columns of a UNIQUE.
        assert constraint in str(error.value)


def test_validation_names_the_rule_before_the_database_has_to() -> None:
    # given an initiative marked completed without a completion date
    initiative = InitiativeFactory.build(owner_agency=AgencyFactory(), status="completed")
    # when it is validated, then the error names the broken rule instead of reaching the database
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert error.value.messages == [
        "completed_on is set exactly when status is completed or partially_completed."
    ]


def test_constraint_status_lists_match_the_model() -> None:
    assert list(initiative_models._FINISHED) == list(Initiative.FINISHED_STATUSES)
    assert list(milestone_models._OPEN_MILESTONE) == list(Milestone.OPEN_STATUSES)


def test_every_save_bumps_the_version() -> None:
    initiative = InitiativeFactory()
    assert initiative.version == 1
    initiative.progress = 10
    initiative.save()
    initiative.save(update_fields=["progress"])
    initiative.refresh_from_db()
    assert initiative.version == 3


def test_progress_updates_are_append_only() -> None:
    update = ProgressUpdateFactory()
    update.body = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        update.save()
    update.refresh_from_db()
    assert update.body == "Work is under way."


def test_history_records_who_changed_what() -> None:
    # given
    user = UserFactory()
    initiative = InitiativeFactory(confidence="not_assessed")
    # when
    initiative.confidence = "amber"
    initiative._history_user = user
    initiative.save()
    # then
    latest, previous = initiative.history.all()[:2]
    assert latest.history_user == user
    changes = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changes["confidence"] == ("not_assessed", "amber")
    assert (latest.version, previous.version) == (2, 1)


@pytest.mark.parametrize(
    ("status", "due", "today", "expected"),
    [
        ("planned", None, D(2030, 1, 1), "no_date"),
        ("planned", D(2030, 1, 31), D(2030, 1, 1), "upcoming"),
        ("planned", D(2030, 1, 15), D(2030, 1, 1), "due_soon"),
        ("in_progress", D(2030, 1, 1), D(2030, 1, 1), "due_soon"),
        ("in_progress", D(2029, 12, 31), D(2030, 1, 1), "overdue"),
        ("done", D(2029, 12, 31), D(2030, 1, 1), "done"),
        ("cancelled", D(2029, 12, 31), D(2030, 1, 1), "cancelled"),
    ],
)
def test_due_status(
    status: str, due: datetime.date | None, today: datetime.date, expected: str
) -> None:
    milestone = Milestone(status=status, due_date=due)
    assert milestone.due_status_on(today) == expected


@pytest.mark.parametrize("status", Milestone.Status.values)
@pytest.mark.parametrize("days", [None, -400, -15, -14, -1, 0, 1, 13, 14, 15, 400])
def test_is_overdue_of_agrees_with_the_due_status(status: str, days: int | None) -> None:
    today = D(2030, 1, 1)
    due = None if days is None else today + datetime.timedelta(days=days)
    overdue = Milestone.due_status_of(status, due, today) == Milestone.DueStatus.OVERDUE
    assert Milestone.is_overdue_of(status, due, today) is overdue


def test_overdue_is_judged_in_time_zone(settings: Any, time_machine: Any) -> None:
    # 2030-01-01 17:00 UTC is already 2030-01-02 in Shanghai: a milestone due on the 1st is late.
    settings.TIME_ZONE = "Asia/Shanghai"
    time_machine.move_to(datetime.datetime(2030, 1, 1, 17, 0, tzinfo=datetime.UTC))
    milestone = MilestoneFactory(due_date=D(2030, 1, 1), baseline_due_date=D(2030, 1, 1))
    assert milestone.is_overdue
    assert list(Milestone.objects.overdue()) == [milestone]


def test_days_slipped_is_due_minus_baseline() -> None:
    milestone = Milestone(due_date=D(2030, 3, 1), baseline_due_date=D(2030, 2, 1))
    assert milestone.days_slipped == 28
    assert Milestone(due_date=None, baseline_due_date=D(2030, 2, 1)).days_slipped is None


def test_progress_update_defaults_to_now() -> None:
    assert ProgressUpdate().posted_at is not None


def test_initiative_cannot_sit_below_itself() -> None:
    programme = InitiativeFactory()
    action = InitiativeFactory(parent=programme)
    programme.parent = action
    with pytest.raises(ValidationError) as error:
        programme.full_clean()
    assert "parent" in error.value.message_dict


def test_lead_agency_cannot_also_support() -> None:
    initiative = InitiativeFactory()
    role = InitiativeAgency(initiative=initiative, agency=initiative.owner_agency)
    with pytest.raises(ValidationError) as error:
        role.full_clean()
    assert "agency" in error.value.message_dict
