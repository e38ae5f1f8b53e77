"""Django's PostgreSQL backend, reading ``timestamptz`` columns with psycopg's C loader, and
batching bulk writes to the parameters a statement can take.

Django registers its own ``timestamptz`` loader so that values carry Django's time zone; it
subclasses psycopg's pure-Python loader, so every ``created_at`` and ``updated_at`` of a list page
is parsed in Python (about a tenth of a milestone page's time). Django's connections run with the
session time zone UTC, where psycopg's own loader (in C with psycopg[binary]) already returns
exactly those values: aware datetimes in ``datetime.timezone.utc``. So in that case each cursor
reads them with that loader; any other time zone keeps Django's.

With server-side binding (settings: it lets PostgreSQL keep plans), every value of a statement
is a protocol parameter, of which a statement takes at most 65,535, where client-side binding
wrote them into the SQL. Django sizes the batches of ``bulk_create``, ``bulk_update`` and
deletions by such a limit on Oracle and SQLite, but not on PostgreSQL.
"""

from __future__ import annotations

import datetime
from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
NATIVE_LOADER: type[Loader] = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)  # type: ignore[assignment]
MAX_PARAMETERS = 65_535  # the protocol counts a statement's parameters in 16 bits


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: list[Any], objs: list[Any]) -> int:
        binds_on_server = self.connection.settings_dict["OPTIONS"].get("server_side_binding")
        if binds_on_server and fields:
            # Two parameters a field: bulk_update passes the pk twice and then the fields, while
            # each object takes one for the pk and two a field (WHEN pk = … THEN value).
            return MAX_PARAMETERS // (2 * len(fields))
        return int(super().bulk_batch_size(fields, objs))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = super().create_cursor(name)
        # datetime.UTC only with USE_TZ and no database TIME_ZONE: sessions then run in UTC.
        # On the cursor, not the connection: Django's create_cursor reads a ``timezone`` off the
        # connection's loader, which the C class has not (nor can it be subclassed to give
        # one). Registering costs about a microsecond, against a Python call per value.
        if self.timezone is datetime.UTC:
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, NATIVE_LOADER)
        return cursor
