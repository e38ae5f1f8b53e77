"""The dashboard: counts, soon-due and overdue milestones, on-time rates."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from initiatives.api.serializers.resources import MilestoneSerializer
from initiatives.api.serializers.summaries import AgencySummarySerializer


class CountByAgencySerializer(serializers.Serializer[Any]):
    agency = AgencySummarySerializer()
    count = serializers.IntegerField()


class MilestoneListSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="All such milestones.")
    items = MilestoneSerializer(many=True, help_text="The first 50, soonest due first.")


class OnTimeRateSerializer(serializers.Serializer[Any]):
    agency = AgencySummarySerializer()
    milestones_due = serializers.IntegerField(
        help_text="Milestones (not cancelled) whose baseline due date has passed."
    )
    done_on_time = serializers.IntegerField(
        help_text="Of those, done on or before the baseline due date."
    )
    rate = serializers.FloatField(help_text="done_on_time / milestones_due.")


class DashboardSerializer(serializers.Serializer[Any]):
    as_of = serializers.DateField(help_text="Today, in the tracker's time zone.")
    initiatives_by_status = serializers.DictField(child=serializers.IntegerField())
    initiatives_by_confidence = serializers.DictField(child=serializers.IntegerField())
    initiatives_by_lead_agency = CountByAgencySerializer(many=True)
    overdue_milestones = MilestoneListSerializer()
    milestones_due_next_30_days = MilestoneListSerializer()
    on_time_rate_by_agency = OnTimeRateSerializer(many=True)
