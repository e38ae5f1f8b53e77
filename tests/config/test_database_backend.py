"""PostgreSQL as the settings configure it: Django's backend, binding parameters on the server."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from initiatives.management.commands.loaddata import write_baseline_history
from initiatives.models import Agency, Milestone
from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
VALUES = [
    datetime.datetime(2026, 11, 26, 13, 5, 9, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2026, 11, 26, 13, 5, 9, tzinfo=datetime.UTC),  # no fraction
    datetime.datetime(2026, 11, 26, 13, 5, 9, 500, tzinfo=datetime.UTC),
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=SHANGHAI),
    datetime.datetime(1900, 1, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-11))),
    datetime.datetime(9999, 12, 31, 12, 0, tzinfo=datetime.UTC),
]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_timestamps_read_back_aware_in_utc(postgres: None, value: datetime.datetime) -> None:
    milestone = MilestoneFactory()
    Milestone.objects.filter(pk=milestone.pk).update(updated_at=value)

    read = Milestone.objects.values_list("updated_at", flat=True).get(pk=milestone.pk)

    assert read == value
    assert read.tzinfo is datetime.UTC


def test_a_query_asked_again_and_again_is_prepared(postgres: None) -> None:
    # Parameters are bound by the server, so one statement serves every value: the lookup of
    # another milestone each time still reuses the plan made for the first.
    milestones = MilestoneFactory.create_batch(7)
    for milestone in milestones:
        assert Milestone.objects.filter(pk=milestone.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    (prepared,) = [s for s in statements if 'FROM "initiatives_milestone" WHERE' in s]
    assert "$1" in prepared


def test_bulk_writes_beyond_a_statements_parameters_go_in_batches(postgres: None) -> None:
    # Rows with a database default go in as VALUES, a parameter for each other field (UNNEST's
    # one array per column is for plain values only): 9,000 agencies need over 65,535.
    parameters = [
        f for f in Agency._meta.concrete_fields if not f.primary_key and not f.has_db_default()
    ]
    assert 9_000 * len(parameters) > 65_535
    agencies = Agency.objects.bulk_create(
        (Agency(name=f"Bulk {n}", short_name=f"B{n}", slug=f"b{n}") for n in range(9_000)),
        batch_size=settings.BULK_BATCH_SIZE,
    )
    assert Agency.objects.filter(name__startswith="Bulk ").count() == 9_000
    # A fixture load's baseline history: the keys in one parameter, the rows in batches.
    write_baseline_history(Agency, {agency.pk for agency in agencies}, reason="Bulk")
    assert Agency.history.filter(history_change_reason="Bulk").count() == 9_000


def test_a_batch_of_any_model_fits_in_one_statement() -> None:
    # bulk_create takes a parameter a field at most; bulk_update one a row and two a field.
    widest = max(len(model._meta.concrete_fields) for model in apps.get_models())
    assert settings.BULK_BATCH_SIZE * (1 + 2 * widest) <= 65_535
