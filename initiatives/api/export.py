"""CSV export of the lists (``GET <list>/export/``): the rows the list's filters select, all of
them, streamed in chunks so a large export never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from initiatives.api.renderers import FileRenderer

Column = tuple[str, Callable[[Any], Any]]


class CSVRenderer(FileRenderer):
    """``text/csv`` (``?format=csv``) on the export paths, which stream the file themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


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
