"""The calendar feed's media type."""

from __future__ import annotations

from initiatives.api.renderers import FileRenderer


class ICalendarRenderer(FileRenderer):
    """``text/calendar`` (``?format=ics``): the view writes the feed itself."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"
