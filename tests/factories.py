"""Builders for the domain's rows, with valid defaults a test overrides where it matters."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth.models import User

from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    Membership,
    Milestone,
    ProgressUpdate,
    Source,
)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    short_name = factory.Sequence(lambda n: f"AG{n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    kind = Agency.Kind.MINISTRY
    contact_email = factory.LazyAttribute(lambda agency: f"{agency.slug}@example.org")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Membership.Role.EDITOR


class SourceFactory(factory.django.DjangoModelFactory[Source]):
    class Meta:
        model = Source

    kind = Source.Kind.NEWS_REPORT
    publisher = "People's Daily"
    title = factory.Sequence(lambda n: f"Report {n}")
    published_on = datetime.date(2023, 3, 2)


class InitiativeFactory(factory.django.DjangoModelFactory[Initiative]):
    class Meta:
        model = Initiative

    title = factory.Sequence(lambda n: f"Initiative {n}")
    slug = factory.Sequence(lambda n: f"initiative-{n}")
    owner_agency = factory.SubFactory(AgencyFactory)
    announced_on = datetime.date(2023, 3, 1)


class InitiativeAgencyFactory(factory.django.DjangoModelFactory[InitiativeAgency]):
    class Meta:
        model = InitiativeAgency

    initiative = factory.SubFactory(InitiativeFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = InitiativeAgency.Role.PARTICIPATING


class MilestoneFactory(factory.django.DjangoModelFactory[Milestone]):
    class Meta:
        model = Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = datetime.date(2030, 6, 30)
    baseline_due_date = factory.SelfAttribute("due_date")


class ProgressUpdateFactory(factory.django.DjangoModelFactory[ProgressUpdate]):
    class Meta:
        model = ProgressUpdate

    initiative = factory.SubFactory(InitiativeFactory)
    body = "Work is under way."


class IndicatorFactory(factory.django.DjangoModelFactory[Indicator]):
    class Meta:
        model = Indicator

    initiative = factory.SubFactory(InitiativeFactory)
    name = factory.Sequence(lambda n: f"Indicator {n}")
    unit = "base stations"
    direction = Indicator.Direction.INCREASE


class IndicatorReadingFactory(factory.django.DjangoModelFactory[IndicatorReading]):
    class Meta:
        model = IndicatorReading

    indicator = factory.SubFactory(IndicatorFactory)
    observed_on = datetime.date(2023, 3, 1)
    value = "2310000"
    qualifier = IndicatorReading.Qualifier.MORE_THAN
