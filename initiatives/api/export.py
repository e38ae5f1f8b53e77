"""CSV export of list endpoints (``?format=csv``): the same filtered rows, all of them,
streamed in chunks so a large export never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

Column = tuple[str, Callable[[Any], Any]]


class CSVRenderer(BaseRenderer):
    """Lets content negotiation accept ``format=csv``; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        # Only error bodies reach here (a 400 for a bad filter): give them as one CSV cell.
        return f"error\n{data}\n".encode()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark makes spreadsheet programs read the UTF-8 (Chinese names) correctly.
    yield "\ufeff" + writer.writerow([header for header, _ in columns])
    for row in rows:
        yield writer.writerow(["" if (v := value(row)) is None else v for _, value in columns])


def csv_response(name: str, columns: list[Column], rows: Iterable[Any]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_rows(columns, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


class CsvFormatNegotiation(DefaultContentNegotiation):
    """``?format=csv`` (or ``json``) picks the format on the lists that offer CSV; any other
    value is a 400 naming the parameter, not the 404 of DRF's format override."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        wanted = request.query_params.get("format")
        if wanted is None:
            return super().select_renderer(request, renderers, format_suffix)
        for renderer in renderers:
            if renderer.format == wanted and wanted in ("json", "csv"):
                return renderer, renderer.media_type
        raise ValidationError({"format": ["Give json or csv."]})
