"""Generate a realistic synthetic data set at national scale, for benchmarks and load tests.

Agencies (ministries and provinces) with editors, managers and viewers; initiatives grouped
under programmes, with supporting and supervising agencies, citations and indicator readings;
milestones with a spread of due dates around today, statuses, owners, moved dates and overdue
ones. Rows are written in bulk, in chunks, so memory stays flat; the history-tracked models go
through simple-history's bulk helper, so every generated row has its baseline history row.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from initiatives.dates import local_today
from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeSource,
    Membership,
    Milestone,
    Source,
)

PREFIX = "LOAD"
CHUNK = 5000  # initiatives per transaction; their milestones go with them
STATUSES = [
    ("announced", 25),
    ("in_progress", 40),
    ("ongoing", 15),
    ("stalled", 8),
    ("completed", 6),
    ("partially_completed", 3),
    ("discontinued", 3),
]
CONFIDENCES = [
    ("green", 25),
    ("amber_green", 25),
    ("amber", 20),
    ("amber_red", 10),
    ("red", 5),
    ("not_assessed", 15),
]
THEMES = [
    "5G",
    "industrial internet",
    "intelligent manufacturing",
    "green manufacturing",
    "computing power",
    "future industries",
    "industrial foundation",
    "SMEs",
]


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in weighted], [w for _, w in weighted])[0]


class Command(BaseCommand):
    help = "Create a synthetic data set: --initiatives N with --milestones-per M each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--initiatives", type=int, required=True)
        parser.add_argument("--milestones-per", type=int, default=10)
        parser.add_argument("--agencies", type=int, default=None, help="Default: N/500, 20 to 400.")
        parser.add_argument("--seed", type=int, default=2023)

    def handle(self, *args: Any, **options: Any) -> None:
        count, per = options["initiatives"], options["milestones_per"]
        if count < 1 or per < 0:
            raise CommandError("--initiatives must be 1 or more and --milestones-per 0 or more.")
        if Agency.objects.filter(short_name__startswith=f"{PREFIX}-").exists():
            raise CommandError("This database has generated data already; use a fresh one.")
        rng = random.Random(options["seed"])  # noqa: S311  reproducible synthetic data, no secrets
        today = local_today()
        started = time.monotonic()
        agencies = self._agencies(options["agencies"] or min(400, max(20, count // 500)))
        people = self._people(agencies)
        source = Source.objects.create(
            kind=Source.Kind.POLICY_DOCUMENT,
            publisher="Generated",
            title="Generated load data",
            published_on=today - datetime.timedelta(days=400),
        )
        made = 0
        while made < count:
            size = min(CHUNK, count - made)
            with transaction.atomic():
                self._chunk(rng, made, size, per, agencies, people, source, today)
            made += size
            self.stdout.write(f"{made} initiatives, {made * per} milestones…")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {count} initiatives and {count * per} milestones "
                f"in {time.monotonic() - started:.0f}s."
            )
        )

    def _agencies(self, count: int) -> list[Agency]:
        rows = [
            Agency(
                name=f"Generated agency {n:04d}",
                short_name=f"{PREFIX}-{n:04d}",
                slug=f"load-{n:04d}",
                kind=Agency.Kind.MINISTRY if n % 4 == 0 else Agency.Kind.LOCAL_GOVERNMENT,
                contact_email=f"office{n}@agency.example",
            )
            for n in range(count)
        ]
        return Agency.objects.bulk_create(rows)

    def _people(self, agencies: list[Agency]) -> dict[int, list[Any]]:
        """Three people per agency: an editor, a manager and a viewer (one shared password)."""
        User = get_user_model()
        password = make_password("load-data-password")
        users = User.objects.bulk_create(
            User(
                username=f"{agency.slug}-{role}",
                email=f"{role}@{agency.slug}.example",
                password=password,
                is_staff=True,
            )
            for agency in agencies
            for role in ("editor", "manager", "viewer")
        )
        by_agency: dict[int, list[Any]] = {}
        memberships = []
        for agency, trio in zip(agencies, zip(*[iter(users)] * 3, strict=True), strict=True):
            by_agency[agency.pk] = list(trio[:2])
            memberships += [
                Membership(user=user, agency=agency, role=role)
                for user, role in zip(trio, ("editor", "manager", "viewer"), strict=True)
            ]
        Membership.objects.bulk_create(memberships)
        return by_agency

    def _chunk(
        self,
        rng: random.Random,
        offset: int,
        size: int,
        per: int,
        agencies: list[Agency],
        people: dict[int, list[Any]],
        source: Source,
        today: datetime.date,
    ) -> None:
        initiatives = []
        for n in range(offset, offset + size):
            status = pick(rng, STATUSES)
            announced = today - datetime.timedelta(days=rng.randint(30, 1500))
            finished = status in ("completed", "partially_completed")
            initiatives.append(
                Initiative(
                    title=f"Generated initiative {n}",
                    slug=f"load-initiative-{n}",
                    summary="Synthetic initiative for benchmarks and load tests.",
                    owner_agency=rng.choice(agencies),
                    theme=rng.choice(THEMES),
                    status=status,
                    confidence=pick(rng, CONFIDENCES),
                    progress=100 if status == "completed" else rng.randint(0, 95),
                    announced_on=announced,
                    start_date=announced,
                    target_date=announced + datetime.timedelta(days=rng.randint(365, 2000)),
                    completed_on=today - datetime.timedelta(days=rng.randint(1, 29))
                    if finished
                    else None,
                )
            )
        initiatives = bulk_create_with_history(
            initiatives, Initiative, batch_size=2000, default_change_reason="generated"
        )
        roles, citations, indicators, milestones = [], [], [], []
        for initiative in initiatives:
            if rng.random() < 0.3:
                supporter = rng.choice(agencies)
                if supporter.pk != initiative.owner_agency_id:
                    role = rng.choice(["co_lead", "participating", "supervising"])
                    roles.append(
                        InitiativeAgency(initiative=initiative, agency=supporter, role=role)
                    )
            citations.append(
                InitiativeSource(initiative=initiative, source=source, excerpt=initiative.title)
            )
            if rng.random() < 0.1:
                indicators.append(
                    Indicator(initiative=initiative, name="Generated figure", unit="units")
                )
            owners = people[initiative.owner_agency_id]
            for k in range(per):
                milestones.append(self._milestone(rng, initiative, k, owners, today))
        InitiativeAgency.objects.bulk_create(roles, ignore_conflicts=True)
        InitiativeSource.objects.bulk_create(citations)
        indicators = Indicator.objects.bulk_create(indicators)
        IndicatorReading.objects.bulk_create(
            IndicatorReading(
                indicator=indicator,
                observed_on=today - datetime.timedelta(days=365 * year),
                value=rng.randint(1000, 10**7),
                qualifier=rng.choice(["exactly", "more_than", "about"]),
                source=source,
                excerpt="Generated reading.",
            )
            for indicator in indicators
            for year in range(3)
        )
        bulk_create_with_history(
            milestones, Milestone, batch_size=5000, default_change_reason="generated"
        )

    @staticmethod
    def _milestone(
        rng: random.Random, initiative: Initiative, k: int, owners: list[Any], today: datetime.date
    ) -> Milestone:
        if rng.random() < 0.08:
            due = None
        else:
            due = today + datetime.timedelta(days=rng.randint(-365, 730))
        baseline = due
        reason = ""
        if due is not None and rng.random() < 0.15:
            baseline = due - datetime.timedelta(days=rng.randint(7, 120))
            reason = "Generated: rescheduled"
        status = "planned"
        completed = None
        if due is not None and due < today and rng.random() < 0.7:
            status, completed = "done", due + datetime.timedelta(days=rng.randint(-20, 20))
        elif rng.random() < 0.3:
            status = "in_progress"
        elif rng.random() < 0.03:
            status = "cancelled"
        return Milestone(
            initiative=initiative,
            title=f"Milestone {k + 1} of {initiative.title}",
            due_date=due,
            baseline_due_date=baseline,
            due_date_reason=reason,
            status=status,
            completed_on=min(completed, today) if completed else None,
            owner=rng.choice(owners) if rng.random() < 0.6 else None,
        )
