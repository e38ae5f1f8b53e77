"""When a milestone's reminders go out, at what level, and to whom it escalates.

Pure date arithmetic over a working-day calendar, no database: the sweep asks
``most_urgent_slot(due_date, today)`` and gets the one reminder that is due now, if any.

- ``notice`` reminders go out REMINDER_LEAD_DAYS before the due date (14, 7, 1 by default); one
  that would fall on a day off goes out on the working day before.
- a ``warning`` goes out on the due day (or the working day before it, if that is a day off).
- ``overdue`` reminders go out on the first working day after the due date, then every
  REMINDER_OVERDUE_EVERY_DAYS days, each moved to the next working day if it falls on a day off;
  once the milestone is more than REMINDER_ESCALATE_AFTER_DAYS late they also go to the lead
  agency's managers and the supervising agency.
- nothing goes out on a day off; when several slots have come due since (a sweep was missed, the
  milestone was added late), only the most urgent one goes out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache, lru_cache

import holidays
from django.conf import settings


class Level:
    NOTICE = "notice"
    WARNING = "warning"
    OVERDUE = "overdue"


# No working-day search ever needs to look further than this (the longest Chinese break is 8
# days); it only bounds a loop over a broken calendar.
_MAX_DAYS_OFF_IN_A_ROW = 60


@dataclass(frozen=True, order=True)
class Slot:
    """One reminder of a due date: when it goes out and what it says."""

    send_on: datetime.date
    urgency: int  # higher is more urgent: lead slots by nearness, then due day, then overdue
    name: str  # stable key in the ledger: "lead-14", "due", "overdue-0", "overdue-1", ...
    level: str
    escalated: bool


@cache
def _calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


def is_working_day(day: datetime.date) -> bool:
    """A working day of the configured public-holiday calendar (make-up workdays included)."""
    return _is_working_day(
        settings.REMINDER_HOLIDAY_COUNTRY, settings.REMINDER_HOLIDAY_SUBDIVISION, day
    )


@lru_cache(maxsize=16384)
def _is_working_day(country: str, subdivision: str | None, day: datetime.date) -> bool:
    # A sweep asks about the same few thousand days again and again.
    return bool(_calendar(country, subdivision).is_working_day(day))


def working_day_on_or_before(day: datetime.date) -> datetime.date:
    for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
        if is_working_day(day):
            return day
        day -= datetime.timedelta(days=1)
    raise ValueError(f"No working day in the {_MAX_DAYS_OFF_IN_A_ROW} days up to {day}")


def working_day_on_or_after(day: datetime.date) -> datetime.date:
    for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
        if is_working_day(day):
            return day
        day += datetime.timedelta(days=1)
    raise ValueError(f"No working day in the {_MAX_DAYS_OFF_IN_A_ROW} days from {day}")


def _overdue_slot(number: int, send_on: datetime.date, due_date: datetime.date, base: int) -> Slot:
    late_by = (send_on - due_date).days
    escalated = late_by > settings.REMINDER_ESCALATE_AFTER_DAYS
    return Slot(send_on, base + number, f"overdue-{number}", Level.OVERDUE, escalated)


def most_urgent_slot(due_date: datetime.date, today: datetime.date) -> Slot | None:
    """The reminder due for ``due_date`` on ``today``: the most urgent slot come due, if any.

    None on a day off, and before the first lead reminder.
    """
    if not is_working_day(today):
        return None
    lead_days = sorted(set(settings.REMINDER_LEAD_DAYS), reverse=True)
    due_rank = len(lead_days)
    first_overdue = working_day_on_or_after(due_date + datetime.timedelta(days=1))
    if first_overdue <= today:
        every = settings.REMINDER_OVERDUE_EVERY_DAYS
        # The latest nominal slot not after today; moving it to a working day may push it past
        # today, and then the one before is the one due.
        number = (today - first_overdue).days // every
        while number >= 0:
            nominal = first_overdue + datetime.timedelta(days=number * every)
            send_on = working_day_on_or_after(nominal)
            if send_on <= today:
                return _overdue_slot(number, send_on, due_date, due_rank + 1)
            number -= 1
    due_day = working_day_on_or_before(due_date)
    if due_day <= today:
        return Slot(due_day, due_rank, "due", Level.WARNING, False)
    for rank in reversed(range(len(lead_days))):
        days = lead_days[rank]
        send_on = working_day_on_or_before(due_date - datetime.timedelta(days=days))
        if send_on <= today:
            return Slot(send_on, rank, f"lead-{days}", Level.NOTICE, False)
    return None


# Moving a lead reminder back to a working day never crosses more days off than this (China's
# longest break, with its weekends, is nine days).
HOLIDAY_MARGIN_DAYS = 15


def latest_due_date_with_a_slot(today: datetime.date) -> datetime.date:
    """No milestone due after this date has a reminder due on ``today`` (bounds the sweep)."""
    longest = max(settings.REMINDER_LEAD_DAYS, default=0)
    return today + datetime.timedelta(days=longest + HOLIDAY_MARGIN_DAYS)
