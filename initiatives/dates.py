"""Dates as the deadlines mean them: calendar days in the project's TIME_ZONE."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


def local_today() -> datetime.date:
    """Today's date in TIME_ZONE: the day against which due dates are judged."""
    return timezone.localdate()


# Dates people enter (announced, due, completed, observed): wide enough for any announcement and
# plan, and far from the ends of the calendar, where date arithmetic (a feed's end date, a
# sweep's day count) overflows or runs away.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
OUT_OF_RANGE = f"Give a date from {EARLIEST_DATE:%Y-%m-%d} to {LATEST_DATE:%Y-%m-%d}."
DATE_RANGE = [
    MinValueValidator(EARLIEST_DATE, message=OUT_OF_RANGE),
    MaxValueValidator(LATEST_DATE, message=OUT_OF_RANGE),
]


def dates_in_range(prefix: str, *fields: str) -> list[models.CheckConstraint]:
    """The database's side of DATE_RANGE: a constraint per (nullable) date field."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True})
            | Q(**{f"{field}__range": (EARLIEST_DATE, LATEST_DATE)}),
            name=f"{prefix}_{field}_in_range",
            violation_error_message=f"{field}: {OUT_OF_RANGE}",
        )
        for field in fields
    ]
