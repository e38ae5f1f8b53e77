"""The PostgreSQL backend (config.postgresql): Django's, with psycopg's own timestamptz loader."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

from config.postgresql.base import NATIVE_LOADER
from initiatives.models import Agency, Milestone, Tag
from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid

SHANGHAI = ZoneInfo("Asia/Shanghai")
VALUES = [
    datetime.datetime(2026, 11, 26, 13, 5, 9, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2026, 11, 26, 13, 5, 9, tzinfo=datetime.UTC),  # no fraction
    datetime.datetime(2026, 11, 26, 13, 5, 9, 500, tzinfo=datetime.UTC),
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=SHANGHAI),
    datetime.datetime(1900, 1, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-11))),
    datetime.datetime(9999, 12, 31, 12, 0, tzinfo=datetime.UTC),
]


def test_timestamptz_columns_use_the_native_loader(postgres: None) -> None:
    assert NATIVE_LOADER.__module__.startswith(("psycopg_binary", "psycopg_c"))  # the C one
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is NATIVE_LOADER
    # Server-side cursors (QuerySet.iterator()) too.
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is NATIVE_LOADER
        finally:
            cursor.close()


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_timestamps_read_back_as_django_reads_them(
    postgres: None, value: datetime.datetime
) -> None:
    milestone = MilestoneFactory()
    Milestone.objects.filter(pk=milestone.pk).update(updated_at=value)

    read = Milestone.objects.values_list("updated_at", flat=True).get(pk=milestone.pk)

    assert read == value
    assert read.tzinfo is datetime.UTC
    # The same text through Django's own loader gives the identical value.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT updated_at::text FROM initiatives_milestone WHERE id = %s", [milestone.pk]
        )
        (text,) = cursor.fetchone()
        django_loader = type("Loader", (BaseTzLoader,), {"timezone": datetime.UTC})
        expected = django_loader(TIMESTAMPTZ, cursor.cursor).load(text.encode())
    assert (read, read.tzinfo) == (expected, expected.tzinfo)


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
    assert 9_000 * len(parameters) > 65_535  # at least: fields with a default may take one
    Agency.objects.bulk_create(
        Agency(name=f"Bulk {n}", short_name=f"B{n}", slug=f"b{n}") for n in range(9_000)
    )
    assert Agency.objects.filter(name__startswith="Bulk ").count() == 9_000
    # bulk_update counts the pk twice and then the fields; each object of a batch takes one
    # parameter for its pk and two for each field.
    pk, name, slug = (Tag._meta.get_field(f) for f in ("id", "name", "slug"))
    batch = connection.ops.bulk_batch_size([pk, pk, name, slug], [])
    assert batch * (1 + 2 * 2) <= 65_535
