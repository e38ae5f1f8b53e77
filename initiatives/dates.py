"""Dates as the deadlines mean them: calendar days in the project's TIME_ZONE."""

import datetime

from django.utils import timezone


def local_today() -> datetime.date:
    """Today's date in TIME_ZONE: the day against which due dates are judged."""
    return timezone.localdate()
