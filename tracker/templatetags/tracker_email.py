"""Wording and colours of reminder emails."""

from django import template

register = template.Library()

# The three colours of a supervision notice.
LEVEL_COLOURS = {"notice": "#2e7d32", "warning": "#f9a825", "overdue": "#c62828"}


@register.filter
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


@register.filter
def level_colour(level: str) -> str:
    return LEVEL_COLOURS.get(level, "#555")
