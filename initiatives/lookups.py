"""``key__any=[...]``: membership in a list of integer keys, sent as one parameter.

``key__in=[...]`` makes the ORM resolve, prepare and place every value of the list on its own:
for the fifty ids of a page that took longer than building and running the rest of the query.
``key__any`` sends the list whole: ``= ANY(%s)`` with an array on PostgreSQL, ``IN`` over
``json_each`` of a JSON array on SQLite. The rows found are the same (tests compare the two).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models


@models.IntegerField.register_lookup
@models.ForeignKey.register_lookup
class AnyOf(models.Lookup):
    lookup_name = "any"
    # The list is checked here, once, not value by value as a field would prepare it.
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        return [int(value) for value in self.rhs]

    def _lhs(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs:
            raise EmptyResultSet  # matches nothing, as ``__in=[]`` does (no query is run)
        sql, params = self.process_lhs(compiler, connection)
        return sql, tuple(params)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self._lhs(compiler, connection)
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({placeholders})", (*params, *self.rhs)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self._lhs(compiler, connection)
        # An array literal in one string: psycopg adapts a list element by element in Python.
        array = "{" + ",".join(map(str, self.rhs)) + "}"
        return f"{lhs} = ANY(%s::bigint[])", (*params, array)

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self._lhs(compiler, connection)
        # The column's SQL, as the compiler wrote it; the keys travel as a parameter.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, (*params, json.dumps(self.rhs))
