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


def test_a_milestone_list_renders_plain_rows_as_the_detail_renders_the_instance(
    client: Any,
) -> None:
    # given milestones with every kind of value: no owner, no date, moved, done, cancelled
    from initiatives.models import Initiative

    initiative: Initiative = InitiativeFactory()
    owner = UserFactory()
    MilestoneFactory(initiative=initiative, owner=owner)
    MilestoneFactory(initiative=initiative, due_date=None, baseline_due_date=None)
    MilestoneFactory(
        initiative=initiative,
        due_date=datetime.date(2031, 5, 1),
        baseline_due_date=datetime.date(2031, 3, 1),
        due_date_reason="Pilot delayed",
    )
    MilestoneFactory(initiative=initiative, status="done", completed_on=datetime.date(2024, 1, 2))
    MilestoneFactory(initiative=initiative, status="cancelled", due_date=datetime.date(2020, 1, 1))
    MilestoneFactory(initiative=initiative, due_date=datetime.date(2020, 1, 1))
    # when the list and each detail are fetched
    client.force_login(owner)
    listed = client.get("/api/v1/milestones/?page_size=200").json()["results"]
    # then they agree row for row, field for field
    assert len(listed) == 6
    for row in listed:
        assert row == client.get(f"/api/v1/milestones/{row['id']}/").json()
    assert {row["due_status"] for row in listed} >= {"overdue", "done", "cancelled", "no_date"}
    assert any(row["days_slipped"] == 61 for row in listed)


def test_a_read_plan_is_shared_by_the_class_unless_a_field_may_read_the_request() -> None:
    initiative = initiatives_for_api().get(pk=InitiativeFactory().pk)
    milestone = MilestoneFactory()
    expected = s.InitiativeSerializer(initiative).data
    # A second serializer renders the same without building its fields (DRF builds them per
    # instance, which costs as much as a page's rows).
    second = s.InitiativeSerializer(initiative)
    assert second.data == expected
    assert "fields" not in second.__dict__
    # The milestone's due status is a method field: a method may read the request in its
    # context, so each serializer compiles its own plan, bound to itself.
    expected = s.MilestoneSerializer(milestone).data
    other = s.MilestoneSerializer(milestone)
    assert other.data == expected
    assert "fields" in other.__dict__
