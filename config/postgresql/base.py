"""Django's PostgreSQL backend, reading ``timestamptz`` columns with psycopg's C loader.

Django registers its own ``timestamptz`` loader so that values carry Django's time zone; it
subclasses psycopg's pure-Python loader, so every ``created_at`` and ``updated_at`` of a list page
is parsed in Python (about a tenth of a milestone page's time). Django's connections run with the
session time zone UTC, where psycopg's own loader (in C with psycopg[binary]) already returns
exactly those values: aware datetimes in ``datetime.timezone.utc``. So in that case each cursor
reads them with that loader; any other time zone keeps Django's.
"""

from __future__ import annotations

import datetime
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
NATIVE_LOADER: type[Loader] = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)  # type: ignore[assignment]


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        cursor = super().create_cursor(name)
        # datetime.UTC only with USE_TZ and no database TIME_ZONE: sessions then run in UTC.
        # On the cursor, not the connection: Django's create_cursor reads a ``timezone`` off the
        # connection's loader, which the C class has not (nor can it be subclassed to give
        # one). Registering costs about a microsecond, against a Python call per value.
        if self.timezone is datetime.UTC:
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, NATIVE_LOADER)
        return cursor
