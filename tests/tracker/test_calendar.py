"""The calendar feed: valid iCalendar, stable UIDs, milestone filters, feed tokens."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from config.log_filters import RedactSecrets, redact
from initiatives.models import AccessToken
from initiatives.tokens import token_issue, token_revoke
from tests.factories import InitiativeFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db
FEED = "/api/v1/calendar.ics"
D = datetime.date


def events(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def feed_token() -> str:
    _, token = token_issue(user=UserFactory(), name="phone", scope=AccessToken.Scope.CALENDAR)
    return token


def test_feed_lists_dated_milestones_as_all_day_events(feed_token: str) -> None:
    initiative = InitiativeFactory(title="Light Chasing Action")
    dated = MilestoneFactory(initiative=initiative, title="Plan", due_date=D(2030, 6, 30))
    MilestoneFactory(initiative=initiative, due_date=None, baseline_due_date=None)
    feed = events(APIClient().get(FEED, {"token": feed_token}))
    assert len(feed) == 1
    (uid, event) = next(iter(feed.items()))
    assert uid == f"milestone-{dated.pk}@127.0.0.1"
    assert event.decoded("DTSTART") == D(2030, 6, 30)
    assert event.decoded("DURATION") == datetime.timedelta(days=1)
    assert "Plan — Light Chasing Action" in str(event["SUMMARY"])
    assert int(event["SEQUENCE"]) == 1


def test_moving_a_due_date_updates_the_same_event(feed_token: str) -> None:
    milestone = MilestoneFactory(due_date=D(2030, 6, 30))
    before = events(APIClient().get(FEED, {"token": feed_token}))
    milestone.due_date, milestone.due_date_reason = D(2030, 9, 30), "Delayed"
    milestone.save()
    after = events(APIClient().get(FEED, {"token": feed_token}))
    assert set(before) == set(after)
    (event,) = after.values()
    assert event.decoded("DTSTART") == D(2030, 9, 30)
    assert int(event["SEQUENCE"]) == 2
    assert "Moved from 2030-06-30: Delayed" in str(event["DESCRIPTION"])


def test_feed_accepts_the_milestone_filters(feed_token: str) -> None:
    mine = MilestoneFactory(initiative__owner_agency__short_name="MIIT", due_date=D(2030, 1, 1))
    MilestoneFactory(initiative__owner_agency__short_name="NDRC", due_date=D(2030, 1, 1))
    feed = events(APIClient().get(FEED, {"token": feed_token, "agency": "MIIT"}))
    assert list(feed) == [f"milestone-{mine.pk}@127.0.0.1"]
    bad = APIClient().get(FEED, {"token": feed_token, "overdue": "maybe"})
    assert bad.status_code == 400


def test_feed_tokens_open_the_feed_only(feed_token: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {feed_token}")
    assert client.get("/api/v1/initiatives/").status_code == 401
    assert APIClient().get("/api/v1/initiatives/", {"token": feed_token}).status_code == 401


def test_revoked_feed_token_is_refused() -> None:
    row, token = token_issue(user=UserFactory(), name="old", scope=AccessToken.Scope.CALENDAR)
    token_revoke(token=row)
    assert APIClient().get(FEED, {"token": token}).status_code == 401
    assert APIClient().get(FEED).status_code == 401


def test_users_manage_their_own_feed_tokens() -> None:
    # given a signed-in user
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    # when they create a feed token
    created = client.post("/api/v1/feed-tokens/", {"name": "Work calendar"})
    assert created.status_code == 201, created.content
    body = created.json()
    # then its URL opens the feed, and the token is not shown again
    assert events(APIClient().get(body["feed_url"].split("testserver")[-1])) == {}
    (listed,) = client.get("/api/v1/feed-tokens/").json()
    assert body["token"] not in str(listed)
    # and once revoked it opens nothing
    assert client.delete(f"/api/v1/feed-tokens/{body['id']}/").status_code == 204
    assert APIClient().get(FEED, {"token": body["token"]}).status_code == 401
    # and others' tokens are out of reach
    other = UserFactory()
    row, _ = token_issue(user=other, name="x", scope=AccessToken.Scope.CALENDAR)
    assert client.delete(f"/api/v1/feed-tokens/{row.pk}/").status_code == 404


def test_tokens_are_redacted_from_log_lines(feed_token: str, caplog: Any) -> None:
    assert feed_token not in redact(f'"GET /api/v1/calendar.ics?token={feed_token}&agency=MIIT"')
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET %s HTTP/1.1" 200',
        (f"{FEED}?token={feed_token}",),
        None,
    )
    RedactSecrets().filter(record)
    assert feed_token not in record.getMessage()
    assert "token=[redacted]" in record.getMessage()


def test_a_feed_token_keeps_the_expiry_it_was_created_with() -> None:
    # given a user who asks for a feed token that expires in a week
    client = APIClient()
    client.force_authenticate(UserFactory())
    expires_at = timezone.now().replace(microsecond=0) + datetime.timedelta(days=7)
    response = client.post(
        "/api/v1/feed-tokens/", {"name": "phone", "expires_at": expires_at.isoformat()}
    )
    # then it is stored and shown with that expiry
    assert response.status_code == 201, response.content
    assert AccessToken.objects.get(pk=response.json()["id"]).expires_at == expires_at
    token = response.json()["token"]
    assert APIClient().get(FEED, {"token": token}).status_code == 200
    # and after it the feed no longer opens
    with time_machine.travel(expires_at + datetime.timedelta(seconds=1)):
        assert APIClient().get(FEED, {"token": token}).status_code == 401


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00Z", "now", "9999-12-31T23:00:00Z"])
def test_a_feed_token_cannot_expire_in_the_past_or_never_plausibly(when: str) -> None:
    client = APIClient()
    client.force_authenticate(UserFactory())
    value = timezone.now().isoformat() if when == "now" else when
    response = client.post("/api/v1/feed-tokens/", {"name": "phone", "expires_at": value})
    assert response.status_code == 400, response.content
    assert "expires_at" in response.json()
    assert not AccessToken.objects.exists()
