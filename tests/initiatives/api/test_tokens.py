"""API tokens: several per user, named, expiring, stored hashed, revocable, scoped."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives.models import AccessToken
from initiatives.tokens import digest_of, token_authenticate, token_issue, token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/initiatives/"


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_token_opens_the_api_and_records_its_use() -> None:
    row, token = token_issue(user=UserFactory(), name="dashboard")
    assert client_with(token).get(URL).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    # only a digest is stored, never the token
    assert row.digest == digest_of(token)
    assert token not in {row.digest, row.prefix}


def test_several_named_tokens_per_user() -> None:
    user = UserFactory()
    _, first = token_issue(user=user, name="dashboard")
    _, second = token_issue(user=user, name="mobile")
    assert client_with(first).get(URL).status_code == 200
    assert client_with(second).get(URL).status_code == 200


@pytest.mark.parametrize(
    "state", ["revoked", "expired", "inactive user", "calendar scope", "unknown"]
)
def test_unusable_tokens_get_401(state: str) -> None:
    user = UserFactory()
    row, token = token_issue(
        user=user,
        name="t",
        scope="calendar" if state == "calendar scope" else "api",
        expires_in=datetime.timedelta(days=1),
    )
    if state == "revoked":
        token_revoke(token=row)
    if state == "expired":
        AccessToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    if state == "inactive user":
        user.is_active = False
        user.save()
    if state == "unknown":
        token = token + "x"
    response = client_with(token).get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_stops_working_as_soon_as_it_is_revoked_or_expires() -> None:
    row, token = token_issue(user=UserFactory(), name="t", expires_in=datetime.timedelta(days=1))
    client = client_with(token)
    assert client.get(URL).status_code == 200
    AccessToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    assert client.get(URL).status_code == 401
    AccessToken.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert client.get(URL).status_code == 200
    token_revoke(token=row)
    assert client.get(URL).status_code == 401


def test_the_look_up_brings_the_user_in_one_query(django_assert_num_queries: Any) -> None:
    user = UserFactory(first_name="Wei")
    row, token = token_issue(user=user, name="t", expires_in=datetime.timedelta(days=1))
    token_issue(user=UserFactory(), name="other")  # another row the query must not return
    AccessToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    with django_assert_num_queries(1):  # the user comes with its token
        found = token_authenticate(token, scope=AccessToken.Scope.API)
        assert found is not None
        assert (found.pk, found.user.first_name) == (row.pk, "Wei")
    assert token_authenticate(token, scope=AccessToken.Scope.CALENDAR) is None
    assert token_authenticate(token[:-1], scope=AccessToken.Scope.API) is None


def test_expiry_is_exact_to_the_microsecond() -> None:
    # SQLite's clock counts milliseconds: judged there, a token outlived its expiry by up to
    # one, whatever the test order.
    row, token = token_issue(user=UserFactory(), name="t", expires_in=datetime.timedelta(days=1))
    expiry = timezone.now().replace(microsecond=500_999)
    AccessToken.objects.filter(pk=row.pk).update(expires_at=expiry)
    just_after = expiry + datetime.timedelta(microseconds=1)
    just_before = expiry - datetime.timedelta(microseconds=1)
    with time_machine.travel(just_before, tick=False):
        assert token_authenticate(token, scope=AccessToken.Scope.API) is not None
    with time_machine.travel(expiry, tick=False):
        assert token_authenticate(token, scope=AccessToken.Scope.API) is None
    with time_machine.travel(just_after, tick=False):
        assert client_with(token).get(URL).status_code == 401


def test_expiry_follows_the_clock_the_token_was_issued_by() -> None:
    # given a token issued today for a day
    _, token = token_issue(user=UserFactory(), name="t", expires_in=datetime.timedelta(days=1))
    client = client_with(token)
    # when the clock passes its expiry (a long-running process, or a clock moved in a test)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        # then it no longer opens the API, though nothing in the database changed
        assert client.get(URL).status_code == 401
    assert client.get(URL).status_code == 200


def test_malformed_authorization_header_is_401() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert client.get(URL).status_code == 401


def test_create_api_token_prints_it_once(capsys: Any) -> None:
    user = UserFactory(username="analyst")
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token",
        "analyst",
        "--name",
        "etl",
        "--expires-days",
        "30",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip()
    row = AccessToken.objects.get(user=user)
    assert (row.name, row.digest) == ("etl", digest_of(token))
    assert row.expires_at is not None
    assert timezone.now() + datetime.timedelta(days=29) < row.expires_at
    assert "shown only now" in err.getvalue()
    assert client_with(token).get(URL).status_code == 200


@pytest.mark.parametrize("args", [["nobody"], ["analyst", "--expires-days", "0"]])
def test_create_api_token_refuses_bad_arguments(args: list[str]) -> None:
    UserFactory(username="analyst")
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=StringIO(), stderr=StringIO())
    assert not AccessToken.objects.exists()


def test_live_token_names_are_unique_per_user() -> None:
    user = UserFactory(username="analyst")
    call_command(
        "create_api_token", "analyst", "--name", "etl", stdout=StringIO(), stderr=StringIO()
    )
    with pytest.raises(CommandError, match="already has a live token"):
        call_command(
            "create_api_token", "analyst", "--name", "etl", stdout=StringIO(), stderr=StringIO()
        )
    token_revoke(token=AccessToken.objects.get(user=user))
    call_command(
        "create_api_token", "analyst", "--name", "etl", stdout=StringIO(), stderr=StringIO()
    )
    assert AccessToken.objects.filter(user=user).count() == 2
