"""Calendar feed tokens, as their owner lists and creates them."""

from __future__ import annotations

from rest_framework import serializers

from initiatives.models import AccessToken


class FeedTokenSerializer(serializers.ModelSerializer[AccessToken]):
    class Meta:
        model = AccessToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at"]


class IssuedFeedTokenSerializer(FeedTokenSerializer):
    """The answer to creating a feed token: the only time the token is shown."""

    token = serializers.CharField(read_only=True)
    feed_url = serializers.CharField(read_only=True, help_text="Subscribe your calendar to it.")

    class Meta(FeedTokenSerializer.Meta):
        fields = [*FeedTokenSerializer.Meta.fields, "token", "feed_url"]
