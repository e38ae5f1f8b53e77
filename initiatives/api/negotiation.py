"""How every API request picks the format of its answer.

The ``Accept`` header, as DRF negotiates it; or ``?format=``, which picks among the formats the
path really serves (``json`` everywhere, ``api`` where the browsable API is offered, ``csv`` on
the export paths, ``yaml`` and ``json`` on the schema). A format the path does not serve is a
406 whose body names the parameter and what the path serves, rather than DRF's bare 404 or an
answer in some other format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


def served_formats(renderers: Sequence[BaseRenderer]) -> list[str]:
    """The ``?format=`` values a path serves, in its order of preference."""
    return list(dict.fromkeys(str(renderer.format) for renderer in renderers))


class FormatNotServed(NotAcceptable):
    """``?format=`` asks for a format the path does not serve."""

    def __init__(self, wanted: str, renderers: Sequence[BaseRenderer], elsewhere: str | None):
        message = _("This path does not serve the format “%(wanted)s”; it serves %(served)s.") % {
            "wanted": wanted[:32],
            "served": ", ".join(served_formats(renderers)),
        }
        if elsewhere:
            message = f"{message} {elsewhere}"
        super().__init__({"format": [message]}, available_renderers=renderers)


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with ``?format=`` checked against the path's own renderers
    before DRF filters on it (its answer to an unknown format is a 404 that says nothing)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if wanted and wanted not in served_formats(renderers):
            raise FormatNotServed(wanted, renderers, self.elsewhere(request, wanted))
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            types = ", ".join(dict.fromkeys(str(renderer.media_type) for renderer in renderers))
            detail = _(
                "The Accept header asks for none of the media types this path answers: %(types)s."
            )
            raise NotAcceptable(detail % {"types": types}, available_renderers=renderers) from None

    @staticmethod
    def elsewhere(request: Request, wanted: str) -> str | None:
        """Where the view says the format is served instead (``format_served_elsewhere``), as a
        sentence for the error, or None."""
        # DRF hands the view to parsers and negotiation through the request's parser context.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        hint = getattr(view, "format_served_elsewhere", None)
        return hint(wanted) if callable(hint) else None
