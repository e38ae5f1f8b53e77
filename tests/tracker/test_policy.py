"""Reminder policy over a calendar of real dates, with China's public holidays and make-up
workdays (2024: Spring Festival 10-17 February with Sundays 4 and 18 February worked; National
Day 1-7 October with Sunday 29 September and Saturday 12 October worked)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tracker.policy import Level, is_working_day, most_urgent_slot

D = datetime.date


def slot(due: datetime.date, today: datetime.date) -> tuple[str, str, datetime.date, bool] | None:
    found = most_urgent_slot(due, today)
    return None if found is None else (found.name, found.level, found.send_on, found.escalated)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2024, 6, 4), None),  # before the first lead reminder
        (D(2024, 6, 5), ("lead-14", Level.NOTICE, D(2024, 6, 5), False)),
        (D(2024, 6, 11), ("lead-14", Level.NOTICE, D(2024, 6, 5), False)),
        (D(2024, 6, 12), ("lead-7", Level.NOTICE, D(2024, 6, 12), False)),
        (D(2024, 6, 18), ("lead-1", Level.NOTICE, D(2024, 6, 18), False)),
        (D(2024, 6, 19), ("due", Level.WARNING, D(2024, 6, 19), False)),
        (D(2024, 6, 20), ("overdue-0", Level.OVERDUE, D(2024, 6, 20), False)),
        (D(2024, 6, 26), ("overdue-0", Level.OVERDUE, D(2024, 6, 20), False)),
        (D(2024, 6, 27), ("overdue-1", Level.OVERDUE, D(2024, 6, 27), False)),
        # more than 14 days late: escalated
        (D(2024, 7, 4), ("overdue-2", Level.OVERDUE, D(2024, 7, 4), True)),
        (D(2025, 6, 19), ("overdue-52", Level.OVERDUE, D(2025, 6, 19), True)),
    ],
)
def test_an_ordinary_week(today: datetime.date, expected: object) -> None:
    # due Wednesday 19 June 2024, a normal working week
    assert slot(D(2024, 6, 19), today) == expected


def test_lead_reminder_on_a_weekend_goes_out_the_working_day_before() -> None:
    # due Monday 24 June: the day before is a Sunday, so the lead-1 reminder goes on Friday
    assert slot(D(2024, 6, 24), D(2024, 6, 21)) == ("lead-1", Level.NOTICE, D(2024, 6, 21), False)


def test_overdue_reminder_on_a_weekend_goes_out_the_working_day_after() -> None:
    # due Friday 21 June: the first overdue reminder goes on Monday, not Saturday
    assert slot(D(2024, 6, 21), D(2024, 6, 22)) is None  # Saturday: a day off
    assert slot(D(2024, 6, 21), D(2024, 6, 24)) == (
        "overdue-0",
        Level.OVERDUE,
        D(2024, 6, 24),
        False,
    )


def test_due_in_the_spring_festival_break() -> None:
    due = D(2024, 2, 14)  # Wednesday inside the break
    # the warning moves back to the last working day before the break, where it outranks lead-1
    assert slot(due, D(2024, 2, 9)) == ("due", Level.WARNING, D(2024, 2, 9), False)
    assert slot(due, D(2024, 2, 7)) == ("lead-7", Level.NOTICE, D(2024, 2, 7), False)
    # nothing goes out during the break
    for day in range(10, 18):
        assert slot(due, D(2024, 2, day)) is None
    # the first overdue reminder goes on the make-up working Sunday after it
    assert is_working_day(D(2024, 2, 18))
    assert slot(due, D(2024, 2, 18)) == ("overdue-0", Level.OVERDUE, D(2024, 2, 18), False)


def test_lead_reminder_moved_back_across_the_break_uses_the_make_up_sunday_before() -> None:
    # due Monday 19 February: lead-7 would be Monday 12 February, inside the break; the last
    # working day before it is Friday 9 February
    assert slot(D(2024, 2, 19), D(2024, 2, 9)) == ("lead-7", Level.NOTICE, D(2024, 2, 9), False)
    # lead-14 was Monday 5 February; the make-up Sunday 4 February is a working day too
    assert is_working_day(D(2024, 2, 4))
    assert slot(D(2024, 2, 18), D(2024, 2, 4)) == ("lead-14", Level.NOTICE, D(2024, 2, 4), False)


def test_national_day_break() -> None:
    due = D(2024, 10, 3)
    assert slot(due, D(2024, 9, 30)) == ("due", Level.WARNING, D(2024, 9, 30), False)
    assert slot(due, D(2024, 10, 5)) is None
    assert slot(due, D(2024, 10, 8)) == ("overdue-0", Level.OVERDUE, D(2024, 10, 8), False)


def test_make_up_working_saturday_sends() -> None:
    assert is_working_day(D(2024, 10, 12))  # a Saturday worked for National Day
    # due Monday 14 October: lead-1 would be Sunday 13th, a day off; it goes on the Saturday
    assert slot(D(2024, 10, 14), D(2024, 10, 12)) == (
        "lead-1",
        Level.NOTICE,
        D(2024, 10, 12),
        False,
    )


def test_a_sweep_on_a_day_off_sends_nothing() -> None:
    assert slot(D(2024, 6, 19), D(2024, 6, 22)) is None  # Saturday
    assert slot(D(2024, 6, 19), D(2024, 10, 1)) is None  # National Day


def test_overdue_cadence_moves_to_next_working_day_without_drifting(settings: object) -> None:
    # due 24 September 2024; first overdue 25 September; the next nominal date, 2 October, is
    # inside National Day and goes out on 8 October; the one after stays on 9 October
    due = D(2024, 9, 24)
    assert slot(due, D(2024, 10, 8)) == ("overdue-1", Level.OVERDUE, D(2024, 10, 8), False)
    assert slot(due, D(2024, 10, 9)) == ("overdue-2", Level.OVERDUE, D(2024, 10, 9), True)


def test_lead_days_are_configurable(settings: Any) -> None:
    settings.REMINDER_LEAD_DAYS = [3]
    assert slot(D(2024, 6, 19), D(2024, 6, 12)) is None
    assert slot(D(2024, 6, 19), D(2024, 6, 17)) == (
        "lead-3",
        Level.NOTICE,
        D(2024, 6, 14),  # Sunday 16th moved back to Friday
        False,
    )
