"""The load data generator makes a valid, varied, reproducible data set."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeSource,
    Membership,
    Milestone,
)

pytestmark = pytest.mark.django_db
# The generator writes with PostgreSQL's COPY and sequences; elsewhere it only refuses.
needs_postgres = pytest.mark.usefixtures("postgres")


def generate(*extra: str) -> None:
    call_command(
        "generate_load_data",
        "--initiatives",
        "60",
        "--milestones-per",
        "5",
        *extra,
        stdout=StringIO(),
    )


@needs_postgres
def test_generates_a_varied_data_set_with_its_history() -> None:
    generate()
    assert Initiative.objects.count() == 60
    assert Milestone.objects.count() == 300
    assert Milestone.history.count() == 300
    assert Agency.objects.count() == 20
    assert Membership.objects.filter(role="manager").count() == 20
    statuses = set(Milestone.objects.values_list("status", flat=True))
    assert {"planned", "done", "in_progress"} <= statuses
    assert Milestone.objects.overdue().exists()
    assert Milestone.objects.filter(due_date__isnull=True).exists()
    # every generated row keeps the data rules
    for milestone in Milestone.objects.all()[:100]:
        milestone.full_clean()
    for initiative in Initiative.objects.all():
        initiative.full_clean()


@needs_postgres
def test_same_seed_same_data() -> None:
    generate("--seed", "7")
    first = list(Milestone.objects.order_by("id").values_list("due_date", "status"))
    Milestone.objects.all().delete()
    Initiative.objects.all().delete()
    Membership.objects.all().delete()
    Agency.objects.all().delete()
    get_user_model().objects.all().delete()
    generate("--seed", "7")
    assert list(Milestone.objects.order_by("id").values_list("due_date", "status")) == first


@needs_postgres
def test_refuses_a_database_that_has_generated_data() -> None:
    generate()
    with pytest.raises(CommandError, match="fresh one"):
        generate()


@needs_postgres
@pytest.mark.parametrize(
    "model",
    [
        Agency,
        Membership,
        Initiative,
        InitiativeAgency,
        InitiativeSource,
        Indicator,
        IndicatorReading,
        Milestone,
    ],
)
def test_every_generated_row_has_its_creation_history(model: type) -> None:
    generate()
    rows = {row["id"]: row for row in model.objects.values()}
    assert rows
    history = list(model.history.values())
    assert len(history) == len(rows)
    for version in history:
        assert version["history_type"] == "+"
        assert version["history_change_reason"] == "generated"
        assert version["history_user_id"] is None
        row = rows[version["id"]]
        assert {name: version[name] for name in row} == row


@needs_postgres
def test_rows_saved_after_generation_take_fresh_ids() -> None:
    generate()
    initiative = Initiative.objects.order_by("id").last()
    assert initiative is not None
    added = Milestone.objects.create(initiative=initiative, title="Added by hand")
    assert added.pk > Milestone.objects.exclude(pk=added.pk).latest("pk").pk


def test_refuses_other_databases_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a database that is not PostgreSQL, such as the embedded default of `make run`
    monkeypatch.setattr(connection, "vendor", "sqlite")
    # when / then: a message saying what it needs, and nothing written
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        generate()
    assert not Agency.objects.exists()
