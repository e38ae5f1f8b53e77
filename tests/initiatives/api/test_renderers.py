"""The orjson renderer writes what DRF's own JSON renderer writes."""

from __future__ import annotations

import datetime
import decimal
import zoneinfo

import pytest
from rest_framework.renderers import JSONRenderer

from initiatives.api.renderers import ORJSONRenderer

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
INSTANT = datetime.datetime(2026, 11, 26, 17, 5, 9, 120034, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "value",
    [
        INSTANT,  # UTC: "Z", as DRF writes it
        INSTANT.astimezone(zoneinfo.ZoneInfo("UTC")),
        INSTANT.astimezone(SHANGHAI),
        INSTANT.replace(microsecond=0).astimezone(SHANGHAI),  # no fraction when there is none
        INSTANT.astimezone(zoneinfo.ZoneInfo("America/St_Johns")),  # a half-hour offset
        datetime.date(2030, 1, 10),
        decimal.Decimal("12.50"),
        {"nested": [1, "六", None, True]},
    ],
)
def test_values_are_written_as_drf_writes_them(value: object) -> None:
    data = {"value": value, "list": [value]}
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
