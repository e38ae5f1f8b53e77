"""CSV export of the lists (``GET <list>/export/``): the rows the list's filters select, all of
them, streamed in chunks so a large export never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request

from initiatives.api.renderers import FileRenderer, JsonErrorsMixin

Column = tuple[str, Callable[[Any], Any]]


class CSVRenderer(FileRenderer):
    """``text/csv`` (``?format=csv``) on the export paths, which stream the file themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class _Echo:
    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet executes: text that would start a formula gets a
    leading apostrophe, which spreadsheets show as text. Numbers and dates are left alone."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark makes spreadsheet programs read the UTF-8 (Chinese names) correctly.
    yield "\ufeff" + writer.writerow([header for header, _ in columns])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(value(row)) for _, value in columns])


def csv_response(name: str, columns: list[Column], rows: Iterable[Any]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_rows(columns, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


class CsvExportMixin(JsonErrorsMixin):
    """``GET <list>/export/``: every row the list's filters select (not one page), streamed as
    CSV in ``csv_columns``. The list itself answers JSON only."""

    csv_name: str
    csv_columns: list[Column]
    CSV_CHUNK = 2000

    @extend_schema(
        summary="Download every filtered row as CSV",
        description=(
            "Takes the same filters as the list and answers every row they select, not one "
            "page, as a CSV file (UTF-8 with a byte-order mark, so that spreadsheet programs "
            "read Chinese names correctly)."
        ),
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The CSV file, with a header row.",
            )
        },
    )
    @action(detail=False, methods=["get"], renderer_classes=[CSVRenderer], pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        rows = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        return csv_response(self.csv_name, self.csv_columns, rows.iterator(self.CSV_CHUNK))

    def format_served_elsewhere(self, wanted: str) -> str | None:
        """Read by FormatNegotiation: a list asked for CSV points at its export."""
        view = cast(Any, self)
        if wanted != CSVRenderer.format or view.action != "list":
            return None
        path = reverse(f"api:{view.basename}-export")
        query = view.request.GET.copy()
        query.pop("format", None)
        url = f"{path}?{query.urlencode()}" if query else path
        return _("Every filtered row as CSV: GET %(url)s") % {"url": url}
