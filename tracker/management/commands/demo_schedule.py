"""Add clearly labelled illustrative deadlines, so reminders can be seen working in `make run`.

The seed article sets no deadlines; these milestones are not from it and say so in their title
and description. Development only.
"""

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives import services
from initiatives.dates import local_today
from initiatives.models import Initiative, Milestone

LABEL = "[Illustrative]"
DESCRIPTION = (
    "Illustrative deadline added by `manage.py demo_schedule` so that reminders can be seen "
    "working. The announcement sets no deadline; this date is not from any source."
)
# (initiative slug, milestone, days from today; None for a milestone without a date)
SCHEDULE: list[tuple[str, str, int | None]] = [
    ("light-chasing-action", "Action plan published", -20),
    ("5g-plus-industrial-internet", "Pilot factories selected", -3),
    ("future-industries-action-plan", "Draft plan circulated for comment", 0),
    ("6g-research-and-development", "R&D programme call opens", 1),
    ("smart-factories-supply-chains", "First batch of smart factories listed", 7),
    ("east-counting-west-computing", "Hub node capacity report", 14),
    ("variety-quality-brand-action", "Quality and brand work plan", 45),
    ("industrial-carbon-peaking-plan", "Sector carbon-peaking guidance", None),
]


class Command(BaseCommand):
    help = "Add labelled illustrative milestone deadlines relative to today (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", help="Username to own the milestones (gets reminders).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Illustrative deadlines are for development stacks (DEBUG is off).")
        if Milestone.objects.filter(title__startswith=LABEL).exists():
            self.stdout.write("Illustrative deadlines exist already; nothing added.")
            return
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}.")
        today = local_today()
        initiatives = Initiative.objects.in_bulk([slug for slug, *_ in SCHEDULE], field_name="slug")
        added = 0
        for slug, title, days in SCHEDULE:
            if slug not in initiatives:
                continue
            services.milestone_create(
                initiative=initiatives[slug],
                title=f"{LABEL} {title}",
                description=DESCRIPTION,
                due_date=None if days is None else today + datetime.timedelta(days=days),
                owner=owner,
                actor=None,
            )
            added += 1
        self.stdout.write(self.style.SUCCESS(f"Added {added} illustrative deadlines."))
