"""Generate a realistic synthetic data set at national scale, for benchmarks and load tests.

Agencies (ministries and provinces) with editors, managers and viewers; initiatives grouped
under programmes, with supporting and supervising agencies, citations and indicator readings;
milestones with a spread of due dates around today, statuses, owners, moved dates and overdue
ones. Rows are written in chunks, so memory stays flat, each table's with one COPY (`copy_in`):
Django's bulk_create spends most of its time composing the INSERT's SQL and parameters, which
made a million milestones a matter of seven minutes. Every generated row of a history-tracked
model gets its baseline history row, written by the database from the row itself.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction

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


def _quoted(field: models.Field[Any, Any]) -> str:
    """A concrete field's column, quoted (the stubs type every field's column as optional)."""
    return connection.ops.quote_name(cast(str, field.column))


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys drawn from the table's own sequence, in ascending order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column],
        )
        (sequence,) = cursor.fetchone()
        cursor.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1", [sequence, count]
        )
        return [pk for (pk,) in cursor.fetchall()]


def copy_in(model: type[models.Model], instances: list[Any]) -> list[Any]:
    """Insert unsaved ``instances`` with one COPY and give them their primary keys.

    Each value is prepared as bulk_create prepares it (``pre_save``, then ``get_db_prep_save``);
    a field left to its database default (``created_at``) is left out, and the database fills
    it in. A history-tracked model gets one creation history row per instance (``+``, no user,
    reason "generated"), as simple-history's ``bulk_history_create`` writes them.

    The instances serve as the related objects of later rows; to change one, read it back.
    """
    if not instances:
        return instances
    for instance, pk in zip(instances, _reserve_ids(model, len(instances)), strict=True):
        instance.pk = pk
    fields = [
        field
        for field in model._meta.concrete_fields
        if not hasattr(field.pre_save(instances[0], True), "resolve_expression")
    ]
    columns = ", ".join(map(_quoted, fields))
    with connection.cursor() as cursor:
        statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for instance in instances:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(instance, True), connection)
                        for field in fields
                    ]
                )
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager:
        _copy_history(model, getattr(model, manager).model, [obj.pk for obj in instances])
    return instances


def _copy_history(model: type[models.Model], history: type[models.Model], pks: list[int]) -> None:
    """The creation history rows of the rows ``pks``, copied from the rows themselves."""
    stamp = {
        "history_date": "now()",
        "history_change_reason": "'generated'",
        "history_type": "'+'",
        "history_user": "NULL",
    }
    fields = {field.name: field for field in history._meta.concrete_fields}
    tracked = [field for name, field in fields.items() if name not in {*stamp, "history_id"}]
    targets = [*tracked, *(fields[name] for name in stamp)]
    quote = connection.ops.quote_name
    pk = _quoted(model._meta.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(_quoted, targets))})"  # noqa: S608
            f" SELECT {', '.join([*map(_quoted, tracked), *stamp.values()])}"
            f" FROM {quote(model._meta.db_table)} WHERE {pk} = ANY(%s) ORDER BY {pk}",
            [pks],
        )


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
        if connection.vendor != "postgresql":
            # It writes with COPY and reserves ids from PostgreSQL's sequences.
            raise CommandError("generate_load_data needs PostgreSQL: set DATABASE_URL to one.")
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
        return copy_in(Agency, rows)

    def _people(self, agencies: list[Agency]) -> dict[int, list[Any]]:
        """Three people per agency: an editor, a manager and a viewer (one shared password)."""
        User = get_user_model()
        password = make_password("load-data-password")
        users = User.objects.bulk_create(
            (
                User(
                    username=f"{agency.slug}-{role}",
                    email=f"{role}@{agency.slug}.example",
                    password=password,
                    is_staff=True,
                )
                for agency in agencies
                for role in ("editor", "manager", "viewer")
            ),
            batch_size=settings.BULK_BATCH_SIZE,
        )
        by_agency: dict[int, list[Any]] = {}
        memberships = []
        for agency, trio in zip(agencies, zip(*[iter(users)] * 3, strict=True), strict=True):
            by_agency[agency.pk] = list(trio[:2])
            memberships += [
                Membership(user=user, agency=agency, role=role)
                for user, role in zip(trio, ("editor", "manager", "viewer"), strict=True)
            ]
        copy_in(Membership, memberships)
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
        copy_in(Initiative, initiatives)
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
        copy_in(InitiativeAgency, roles)  # one supporter at most: no pair twice
        copy_in(InitiativeSource, citations)
        copy_in(Indicator, indicators)
        readings = [
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
        ]
        copy_in(IndicatorReading, readings)
        copy_in(Milestone, milestones)

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
            # Done between the announcement and today, as a completion date must be.
            completed_on=min(max(completed, initiative.announced_on or completed), today)
            if completed
            else None,
            owner=rng.choice(owners) if rng.random() < 0.6 else None,
        )
