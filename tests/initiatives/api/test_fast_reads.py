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


def test_a_page_reads_related_summaries_as_the_nested_serializers_do() -> None:
    # given initiatives with several supporting agencies, tags (named against their id order)
    # and citations, and one with none
    from initiatives.models import Tag

    first, second, bare = InitiativeFactory(), InitiativeFactory(), InitiativeFactory()
    zebra, apple = (
        Tag.objects.create(name="Zebra", slug="zebra"),
        Tag.objects.create(name="Apple", slug="apple"),
    )
    for initiative in (first, second):
        InitiativeAgencyFactory(initiative=initiative, role="supervising")
        InitiativeAgencyFactory(initiative=initiative)
        initiative.tags.set([zebra, apple])
        for excerpt in ("later", "earlier"):
            InitiativeSource.objects.create(
                initiative=initiative, source=SourceFactory(url=f"https://example.org/{initiative.pk}/{excerpt}"),
                excerpt=excerpt, speaker="Jin Zhuanglong",
            )  # fmt: skip
    # when a page of them is rendered (three queries for the relations of the whole page)
    page = list(initiatives_for_api().filter(pk__in=[first.pk, second.pk, bare.pk]))
    rendered = s.InitiativeSerializer(page, many=True).data
    # then each row is what DRF's nested serializers make of the relations, in their order
    for row, initiative in zip(rendered, page, strict=True):
        generic = serializers.ModelSerializer.to_representation(
            s.InitiativeSerializer(), initiatives_for_api().get(pk=initiative.pk)
        )
        assert dict(row) == dict(generic)
    assert rendered[0]["tags"] == ["apple", "zebra"]
    assert [c["excerpt"] for c in rendered[0]["citations"]] == ["later", "earlier"]
    assert rendered[2]["supporting_agencies"] == rendered[2]["citations"] == []
