"""Milestone deadlines as an iCalendar feed of all-day events.

Each milestone is one event whose UID never changes and whose SEQUENCE is the milestone's
version, so a calendar app that polls the feed updates the event it has instead of adding a
second one when a due date moves.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from initiatives.models import Milestone
from tracker.links import milestone_admin_url

PRODID = "-//Initiative Tracker//Milestone deadlines//EN"


def milestone_uid(milestone: Milestone) -> str:
    return f"milestone-{milestone.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def milestone_event(milestone: Milestone, due_date: datetime.date) -> Event:
    initiative = milestone.initiative
    done = milestone.status == Milestone.Status.DONE
    event = Event()
    event.add("uid", milestone_uid(milestone))
    event.add("sequence", milestone.version)
    event.add("dtstamp", milestone.updated_at)
    event.add("last-modified", milestone.updated_at)
    event.add("dtstart", due_date)
    # All day: a duration, not an end date, which has no day after 9999-12-31 to be.
    event.add("duration", datetime.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("summary", f"{'✓ ' if done else ''}{milestone.title} — {initiative.title}")
    lines = [
        f"Initiative: {initiative.title}",
        f"Lead agency: {initiative.owner_agency.short_name}",
        f"Status: {milestone.get_status_display()}",
    ]
    if milestone.baseline_due_date and milestone.baseline_due_date != milestone.due_date:
        lines.append(
            f"Moved from {milestone.baseline_due_date:%Y-%m-%d}: {milestone.due_date_reason}"
        )
    url = milestone_admin_url(milestone.pk)
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add(
        "status", "CANCELLED" if milestone.status == Milestone.Status.CANCELLED else "CONFIRMED"
    )
    event.add("categories", [initiative.owner_agency.short_name])
    return event


def milestone_calendar(milestones: Iterable[Milestone]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Initiative Tracker deadlines")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for milestone in milestones:
        if milestone.due_date is not None:
            calendar.add_component(milestone_event(milestone, milestone.due_date))
    return calendar.to_ical()
