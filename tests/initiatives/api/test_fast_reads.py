"""The compiled read path renders exactly what DRF's generic one does."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework import serializers

from initiatives.api import serializers as s
from initiatives.api.views import initiatives_for_api
from initiatives.models import IndicatorReading, InitiativeSource, Membership, Milestone
from tests.factories import (
    IndicatorReadingFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def both(serializer_class: type[Any], instance: Any) -> tuple[Any, Any]:
    fast = serializer_class(instance).data
    generic = serializers.ModelSerializer.to_representation(serializer_class(), instance)
    return dict(fast), dict(generic)


def test_every_resource_renders_the_same() -> None:
    # given rows with every kind of value: empty and set relations, dates, datetimes, decimals
    parent = InitiativeFactory()
    initiative = InitiativeFactory(
        parent=parent, status="completed", completed_on=datetime.date(2030, 1, 2), progress=100
    )
    InitiativeAgencyFactory(initiative=initiative)
    InitiativeSource.objects.create(initiative=initiative, source=SourceFactory(), excerpt="q")
    MilestoneFactory(initiative=initiative, owner=UserFactory())
    cases = [
        (s.InitiativeSerializer, initiatives_for_api().get(pk=initiative.pk)),
        (s.InitiativeSerializer, initiatives_for_api().get(pk=parent.pk)),
        (s.MilestoneSerializer, Milestone.objects.get(initiative=initiative)),
        (s.MilestoneSerializer, MilestoneFactory(due_date=None, baseline_due_date=None)),
        (s.ProgressUpdateSerializer, ProgressUpdateFactory(author=None)),
        (s.ProgressUpdateSerializer, ProgressUpdateFactory(author=UserFactory(), progress=40)),
        (s.IndicatorReadingSerializer, IndicatorReadingFactory(value="2310000.5")),
        (s.IndicatorReadingSerializer, IndicatorReading.objects.get()),
        (s.AgencySerializer, initiative.owner_agency),
        (s.MembershipSerializer, MembershipFactory()),
        (s.MembershipSerializer, Membership.objects.first()),
    ]
    for serializer_class, instance in cases:
        fast, generic = both(serializer_class, instance)
        assert fast == generic, serializer_class.__name__
