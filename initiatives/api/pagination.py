"""Pagination for the API: numbered pages for small collections, keyset cursors for large ones.

Both refuse a bad ``page``, ``page_size`` or ``cursor`` with a 400 that names the parameter,
instead of quietly falling back to a default.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from initiatives.api.numbers import is_whole_number

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_size_from(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not is_whole_number(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(raw)


# A link to the next or previous page, null at either end (OpenAPI 3.1's way to say null).
LINK_SCHEMA = {"type": ["string", "null"], "format": "uri"}
PAGE_SIZE_SCHEMA = {
    "name": "page_size",
    "required": False,
    "in": "query",
    "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
}


class PagePagination(PageNumberPagination):
    """``page`` and ``page_size`` with ``count``, ``next``, ``previous`` and ``results``."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return page_size_from(request)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param, "1")
        if not is_whole_number(raw) or int(raw) < 1:
            raise ValidationError({self.page_query_param: ["Give a page number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Rows in all pages."},
                "next": LINK_SCHEMA,
                "previous": LINK_SCHEMA,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        page = {
            "name": self.page_query_param,
            "required": False,
            "in": "query",
            "description": "Page number, from 1.",
            "schema": {"type": "integer", "minimum": 1},
        }
        return [page, PAGE_SIZE_SCHEMA]


@dataclass(frozen=True)
class Key:
    """One column of a keyset ordering. NULL sorts as the largest value in either direction."""

    field: str
    descending: bool

    def order_by(self) -> OrderBy:
        column = F(self.field)
        return column.desc(nulls_first=True) if self.descending else column.asc(nulls_last=True)

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})

    def beyond(self, value: Any) -> Q | None:
        """Rows that come after ``value`` in this key's direction; None when none can."""
        if self.descending:
            if value is None:
                return Q(**{f"{self.field}__isnull": False})
            return Q(**{f"{self.field}__lt": value})
        if value is None:
            return None
        return Q(**{f"{self.field}__gt": value}) | Q(**{f"{self.field}__isnull": True})

    def reversed(self) -> Key:
        return Key(self.field, not self.descending)


@dataclass(frozen=True)
class PageReading:
    """How a page of keyset pagination is read: its queries, each for a row more than the page
    (to tell whether more follow), run in turn until that many rows are found (from a cursor,
    one query per segment of the order: see ``_segments``)."""

    queries: list[Any]
    keys: list[Key]
    continued: bool = False  # from a cursor
    backwards: bool = False  # towards the start, from a cursor


class KeysetPagination(BasePagination):
    """Cursor pagination on a composite key, e.g. (due_date, id) with NULL due dates last.

    DRF's CursorPagination positions on the first ordering field alone and assumes it unique
    and never NULL; that skips or repeats rows when many milestones share a due date or have
    none. Here the cursor holds the whole key of the row it continues from, the primary key
    breaks every tie, and NULLs have a fixed place, so pages stay exact while rows are added.
    No request counts the rows.
    """

    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.next_values: list[Any] | None = None
        self.previous_values: list[Any] | None = None

    # -- the ordering ------------------------------------------------------------------------
    @staticmethod
    def keys_for(queryset: QuerySet[Any]) -> list[Key]:
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        keys = []
        for term in ordering:
            if isinstance(term, OrderBy) and isinstance(term.expression, F):
                _, (field,), _ = term.expression.deconstruct()
                keys.append(Key(field, term.descending))
            elif isinstance(term, str):
                keys.append(Key(term.lstrip("-"), term.startswith("-")))
            else:
                raise ImproperlyConfigured(f"Keyset pagination orders by fields only: {term!r}")
        keys = [Key("id" if key.field == "pk" else key.field, key.descending) for key in keys]
        if not any(key.field == "id" for key in keys):
            keys.append(Key("id", keys[-1].descending if keys else False))
        return keys

    # -- the cursor --------------------------------------------------------------------------
    def _encode(self, keys: Sequence[Key], values: list[Any], backwards: bool) -> str:
        payload = {
            "k": [("-" if key.descending else "") + key.field for key in keys],
            "v": [None if v is None else str(v) for v in values],
            "b": backwards,
        }
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    def _decode(self, raw: str, keys: Sequence[Key], model: type[Model]) -> tuple[list[Any], bool]:
        invalid = ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            names, values, backwards = payload["k"], payload["v"], bool(payload["b"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise invalid from None
        if names != [("-" if key.descending else "") + key.field for key in keys]:
            raise ValidationError(
                {self.cursor_query_param: ["This cursor belongs to another ordering."]}
            )
        if not isinstance(values, list) or len(values) != len(keys):
            raise invalid
        try:
            typed = [
                None
                if value is None
                else cast(Field, model._meta.get_field(key.field)).to_python(value)
                for key, value in zip(keys, values, strict=True)
            ]
        except (DjangoValidationError, ValueError, TypeError):
            raise invalid from None
        if any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in typed):
            raise invalid
        return typed, backwards

    # -- paging ------------------------------------------------------------------------------
    @staticmethod
    def _after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
        """Rows strictly after the row with ``values``, in the order of ``keys``."""
        condition = Q(pk__in=[])
        for i, key in enumerate(keys):
            step = key.beyond(values[i])
            if step is None:
                continue
            for earlier, value in zip(keys[:i], values[:i], strict=True):
                step &= earlier.equal(value)
            condition |= step
        return condition

    def _segments(self, model: type[Model], keys: Sequence[Key], values: Sequence[Any]) -> list[Q]:
        """The rows after ``values`` as conditions to read one after the other, each of which
        an index on the keys can start right at (an OR across the NULL boundary cannot: a deep
        page would scan every row before it)."""
        first, value = keys[0], values[0]
        tail = self._after(keys[1:], values[1:])  # after, among rows equal on the first key
        nullable = cast(Field, model._meta.get_field(first.field)).null
        is_null = Q(**{f"{first.field}__isnull": True})
        if value is None:
            within_nulls = is_null & tail
            # NULLs come last going up, first going down (and are followed by every value).
            return [within_nulls, ~is_null] if first.descending else [within_nulls]
        bound, strict = ("lte", "lt") if first.descending else ("gte", "gt")
        segment = Q(**{f"{first.field}__{bound}": value}) & (
            Q(**{f"{first.field}__{strict}": value}) | tail
        )
        return [segment, is_null] if nullable and not first.descending else [segment]

    def reading_for(self, queryset: Any, request: Request) -> PageReading:
        """How to read the page ``request`` asks for from ``queryset``."""
        page_size = page_size_from(request)
        keys = self.keys_for(queryset)
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            ordered = queryset.order_by(*(key.order_by() for key in keys))
            return PageReading([ordered[: page_size + 1]], keys)
        values, backwards = self._decode(raw, keys, queryset.model)
        direction = [key.reversed() for key in keys] if backwards else keys
        ordered = queryset.order_by(*(key.order_by() for key in direction))
        segments = self._segments(queryset.model, direction, values)
        queries = [ordered.filter(segment)[: page_size + 1] for segment in segments]
        return PageReading(queries, keys, continued=True, backwards=backwards)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        return self.read_page(self.reading_for(queryset, request), request)

    def read_page(self, reading: PageReading, request: Request) -> list[Any]:
        """The page's rows, read from each of the reading's queries in turn until there are
        enough; its links set."""
        self.request, self.keys = request, reading.keys
        page_size = page_size_from(request)
        rows: list[Any] = []
        for query in reading.queries:
            rows += list(query)[: page_size + 1 - len(rows)]
            if len(rows) > page_size:
                break
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        if reading.backwards:
            rows.reverse()

        def values_of(row: Any) -> list[Any]:
            if isinstance(row, dict):  # a values() row
                return [row[key.field] for key in reading.keys]
            return [getattr(row, key.field) for key in reading.keys]

        # Going forward, there is a next page when a row was left over, and a previous one
        # whenever we came from somewhere; going back, the other way round.
        forward_more, back_more = (
            (has_more, reading.continued) if not reading.backwards else (True, has_more)
        )
        self.next_values = values_of(rows[-1]) if rows and forward_more else None
        self.previous_values = values_of(rows[0]) if rows and back_more else None
        return rows

    def _link(self, values: list[Any] | None, backwards: bool) -> str | None:
        if values is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self._encode(self.keys, values, backwards)
        )

    def get_next_link(self) -> str | None:
        return self._link(self.next_values, backwards=False)

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_values, backwards=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": LINK_SCHEMA, "previous": LINK_SCHEMA, "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        cursor = {
            "name": self.cursor_query_param,
            "required": False,
            "in": "query",
            "description": "Opaque position from a `next` or `previous` link.",
            "schema": {"type": "string"},
        }
        return [cursor, PAGE_SIZE_SCHEMA]
