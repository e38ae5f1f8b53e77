"""The Jinja2 environment of reminder emails (the ``mail`` template engine in settings).

Emails render through Jinja2 rather than Django's template language: a digest is rendered
three times (subject, text, HTML) for every recipient, and Jinja2 compiles templates to Python,
which renders them about five times faster. Only ``.html`` templates are autoescaped, so a
title such as "6G R&D" reaches the plain-text part and the subject as written.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.utils import dateformat, translation
from jinja2 import Environment, StrictUndefined, select_autoescape

# The three colours of a supervision notice.
LEVEL_COLOURS = {"notice": "#2e7d32", "warning": "#f9a825", "overdue": "#c62828"}


def days_phrase(days: int) -> str:
    if days > 1:
        return f"in {days} days"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    if days == -1:
        return "1 day overdue"
    return f"{-days} days overdue"


@functools.lru_cache(maxsize=256)
def _formatted_date(value: datetime.date, format_string: str, language: str | None) -> str:
    return str(dateformat.format(value, format_string))


def date(value: Any, format_string: str) -> str:
    """Django's date format letters ("l j F Y"), as the rest of the project writes dates.

    A day's digests all print the same day, and formatting it (names of days and months looked
    up in the active language) took as long as rendering the rest of the line; a date is
    formatted once per language. Date-times, which also depend on the current time zone, are
    formatted every time.
    """
    if type(value) is datetime.date:
        return _formatted_date(value, format_string, translation.get_language())
    return str(dateformat.format(value, format_string))


def level_colour(level: str) -> str:
    return LEVEL_COLOURS.get(level, "#555")


def environment(**options: Any) -> Environment:
    # Django's backend passes its defaults for these two; emails decide their own.
    options.pop("autoescape", None)
    options.pop("undefined", None)
    env = Environment(
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        # A name the template misspells fails the send loudly (and the tests), rather than
        # mailing an empty line.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    env.filters.update(date=date, days_phrase=days_phrase, level_colour=level_colour)
    # No email uses Jinja2's default globals (range, dict, lipsum, cycler, joiner, namespace),
    # and every render copied them into its new context, one ChainMap look-up and KeyError
    # each: a third of what rendering a digest's subject cost.
    env.globals.clear()
    return env
