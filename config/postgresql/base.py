"""Django's PostgreSQL backend, reading ``timestamptz`` columns with psycopg's C loader.

Django registers its own ``timestamptz`` loader so that values carry Django's time zone; it
subclasses psycopg's pure-Python loader, so every ``created_at`` and ``updated_at`` of a list page
is parsed in Python (about a tenth of a milestone page's time). Django's connections run with the
session time zone UTC, where psycopg's own loader (in C with psycopg[binary]) already returns
exactly those values: aware datetimes in ``datetime.timezone.utc``. So in that case that loader
is registered instead; any other time zone keeps Django's.
"""

from __future__ import annotations

import datetime
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg.adapt import Loader
from psycopg.pq import Format

_TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
_NATIVE_LOADER: type[Loader] = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)  # type: ignore[assignment]


class UTCTimestamptzLoader(Loader):
    """psycopg's own loader, with the ``timezone`` Django's cursors look for (they register
    their loader again when it differs from the connection's); the C class cannot be
    subclassed, so it is wrapped."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._native = _NATIVE_LOADER(oid, context)

    def load(self, data: Any) -> datetime.datetime:
        return self._native.load(data)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        # datetime.UTC only with USE_TZ and no database TIME_ZONE: sessions then run in UTC.
        if self.timezone is datetime.UTC:
            connection.adapters.register_loader(_TIMESTAMPTZ_OID, UTCTimestamptzLoader)
        return connection
