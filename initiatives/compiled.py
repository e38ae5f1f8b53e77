"""Querysets compiled to SQL once, to be run again without building or compiling them.

A request that asks the same question as many before it (the token look-up of every API
request, the page a front-end polls) spent more on composing its query in the ORM and
compiling it to SQL than the database spent answering. The ORM still writes the SQL, from the
one definition of each question; ``CompiledQuery`` keeps what it wrote and runs it again.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet
from django.db.models.utils import create_namedtuple_class


class NotCompilable(Exception):
    """The queryset cannot be kept as SQL (see ``CompiledQuery``); evaluate it as usual."""


class CompiledQuery:
    """The SQL of ``queryset``, run again as often as asked, its rows converted as the ORM
    converts them.

    Values passed as ``stand_ins`` (each must reach the SQL's parameters exactly once, as it
    was given) are replaced by each run's own, so one compiled query serves every digest of a
    token look-up. A queryset whose SQL the ORM cannot compile ahead (one that can match
    nothing, say) raises ``NotCompilable``.
    """

    def __init__(self, queryset: QuerySet[Any], stand_ins: tuple[Any, ...] = ()) -> None:
        self.db = queryset.db
        compiler = queryset.query.get_compiler(self.db)
        try:
            self.sql, params = compiler.as_sql()
        except Exception as error:  # EmptyResultSet, FullResultSet and their kind
            raise NotCompilable(str(error)) from error
        self.params = list(params)
        if any(self.params.count(value) != 1 for value in stand_ins):
            raise NotCompilable("each stand-in must appear once in the parameters")
        self.positions = [self.params.index(value) for value in stand_ins]
        self.columns = [column for column, _, _ in compiler.select]
        self.klass_info = compiler.klass_info  # where select_related's models sit in a row
        # The compiler (and its whole query) is kept only where columns need converting: none
        # do on PostgreSQL; SQLite converts its dates and booleans.
        self.converters = compiler.get_converters(self.columns)
        self.apply_converters = compiler.apply_converters if self.converters else None

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """The rows, with ``values`` in place of the stand-ins."""
        params = self.params.copy()
        for position, value in zip(self.positions, values, strict=True):
            params[position] = value
        with connections[self.db].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.apply_converters is not None:
            rows = [tuple(row) for row in self.apply_converters(rows, self.converters)]
        return rows


class CompiledValuesList(CompiledQuery):
    """A ``values_list(*fields, named=True)`` queryset, kept as SQL: its rows are the same
    named tuples."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        query = queryset.query
        fields = list(queryset._fields)  # type: ignore[attr-defined]
        # values_list reorders the columns when the query adds its own (extra, annotations).
        if query.extra_select or query.annotation_select or list(query.values_select) != fields:
            raise NotCompilable("only plain fields are kept")
        super().__init__(queryset)
        self.row_class = create_namedtuple_class(*fields)

    def named_rows(self) -> list[Any]:
        new, row_class = tuple.__new__, self.row_class
        return [new(row_class, row) for row in self.rows()]


class CompiledCache:
    """Compiled queries by key, at most ``size`` of them (all forgotten when full: a day's
    distinct questions are few), and forgotten whenever a setting changes, as the SQL may
    follow from settings."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[Hashable, Any] = {}
        setting_changed.connect(self.clear, weak=False)

    def get(self, key: Hashable) -> Any:
        return self.entries.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = value

    def clear(self, **kwargs: Any) -> None:
        self.entries.clear()
