"""Every stored row of the product, to prove that a refused or failed write changed nothing."""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.db import connection

# The product's data, its audit history (simple-history's tables live in the app of the model
# they follow), users, groups and their through tables, and the sign-in records. Sessions and
# the admin's own log of actions are bookkeeping of the request, not data a write path changes.
APPS = {"initiatives", "tracker", "auth", "axes"}
# Columns that reading alone moves: signing in stamps last_login, a token stamps last_used_at.
TOUCHED_BY_READS = {("auth.User", "last_login"), ("initiatives.AccessToken", "last_used_at")}

State = dict[str, Any]


@functools.cache
def _tables() -> dict[str, tuple[str, str, str]]:
    """label -> (quoted columns, table, primary key) of each table compared."""
    queries = {}
    quote = connection.ops.quote_name
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if model._meta.app_label not in APPS:
            continue
        columns = ", ".join(
            quote(field.column)
            for field in model._meta.concrete_fields
            if (label, field.name) not in TOUCHED_BY_READS
        )
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        queries[label] = (columns, table, pk)
    return queries


def database_state() -> State:
    """All rows of every table of ``APPS`` (through tables included), in primary-key order."""
    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: each table's rows as one JSON text, all in one row.
            rows_as_json = "(SELECT json_agg(r ORDER BY r.{}) FROM (SELECT {} FROM {}) r)::text"
            each = ", ".join(
                rows_as_json.format(pk, cols, table) for cols, table, pk in tables.values()
            )
            cursor.execute(f"SELECT {each}")
            return dict(zip(tables, cursor.fetchone(), strict=True))
        state = {}
        for label, (columns, table, pk) in tables.items():
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {pk}")  # noqa: S608
            state[label] = cursor.fetchall()
        return state


def changed_tables(before: State, after: State) -> list[str]:
    """The tables whose rows differ between two states (empty: nothing changed)."""
    return sorted(label for label in before.keys() | after.keys() if before[label] != after[label])
