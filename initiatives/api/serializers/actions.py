"""The bodies of the workflow actions (post an update, complete a milestone) and of the history."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from initiatives.api.serializers.summaries import (
    InitiativeSummarySerializer,
    SummaryRelatedField,
    UserSummarySerializer,
)
from initiatives.models import (
    Initiative,
)


class PostUpdateSerializer(serializers.Serializer[Any]):
    """A progress update posted on an initiative, with the changes it makes to it."""

    body = serializers.CharField()
    status = serializers.ChoiceField(choices=Initiative.Status.choices, required=False)
    confidence = serializers.ChoiceField(choices=Initiative.Confidence.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    completed_on = serializers.DateField(
        required=False, help_text="With status completed/partially_completed; default today."
    )
    superseded_by = SummaryRelatedField(
        InitiativeSummarySerializer,
        choice_rule="superseded_by",
        queryset=Initiative.objects.all(),
        required=False,
        help_text="With status superseded.",
    )


class CompleteMilestoneSerializer(serializers.Serializer[Any]):
    completed_on = serializers.DateField(
        required=False, help_text="The day it was done; default today (in the tracker's time zone)."
    )


class HistoryChangeSerializer(serializers.Serializer[Any]):
    """One field's change from one version to the next."""

    field = serializers.CharField()
    # Only ever written out: allow_null would change nothing but the schema, where it adds a
    # second null to "any value" (and a null then matches both branches of its oneOf).
    old = serializers.JSONField(help_text="The value before: any JSON value, null included.")
    new = serializers.JSONField(help_text="The value after: any JSON value, null included.")


class HistoryEntrySerializer(serializers.Serializer[Any]):
    """One saved version of an initiative: who, when, why, and what changed from the one before."""

    version = serializers.IntegerField()
    changed_at = serializers.DateTimeField()
    user = UserSummarySerializer(allow_null=True)
    change_type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    reason = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)
