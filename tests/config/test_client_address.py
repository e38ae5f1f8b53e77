"""Limits count the real client: X-Forwarded-For is believed only from TRUSTED_PROXIES, alike
for the throttles, the wrong-token limit and the admin's sign-in lockout."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from config.client_address import client_address
from initiatives.api.throttling import AnonRateThrottle
from initiatives.tokens import token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ATTACKER, VICTIM, PROXY = "198.51.100.9", "203.0.113.7", "10.0.0.1"


def forged(n: int) -> str:
    return f"192.0.2.{n % 250 + 1}"


def wrong_token_from(address: str, forwarded: str) -> int:
    client = APIClient(REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)
    client.credentials(HTTP_AUTHORIZATION="Bearer itk_guess")
    return client.get("/api/v1/initiatives/").status_code


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        (ATTACKER, VICTIM, [], ATTACKER),  # nobody vouches for the header
        (PROXY, VICTIM, [PROXY], VICTIM),
        (PROXY, f"{ATTACKER}, {VICTIM}", [PROXY], VICTIM),  # the left part is the client's own
        (PROXY, f"{VICTIM}, 10.0.0.2", ["10.0.0.0/24"], VICTIM),  # two proxies in a network
        (PROXY, "not-an-address", [PROXY], PROXY),
        (PROXY, "", [PROXY], PROXY),
        (ATTACKER, "", [PROXY], ATTACKER),
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_vouches_for(
    settings: Any, remote: str, forwarded: str, trusted: list[str], client: str
) -> None:
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == client


def test_rotating_the_header_does_not_escape_the_wrong_token_limit(settings: Any) -> None:
    settings.AUTH_FAILURE_LIMIT = 5
    statuses = [wrong_token_from(ATTACKER, forged(n)) for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3


def test_nobody_can_lock_out_an_address_by_naming_it(settings: Any) -> None:
    # given an attacker who sends wrong tokens in the victim's name
    settings.AUTH_FAILURE_LIMIT = 3
    for _ in range(5):
        wrong_token_from(ATTACKER, VICTIM)
    # then the victim, at that address, still gets in
    _, token = token_issue(user=UserFactory(), name="t")
    victim = APIClient(REMOTE_ADDR=VICTIM)
    victim.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert victim.get("/api/v1/initiatives/").status_code == 200


def test_behind_a_trusted_proxy_each_client_is_counted_apart(settings: Any) -> None:
    settings.AUTH_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = [PROXY]
    assert [wrong_token_from(PROXY, ATTACKER) for _ in range(4)][-1] == 429
    assert wrong_token_from(PROXY, VICTIM) == 401  # not 429: another client


def test_the_anonymous_throttle_counts_the_connection(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.API_PUBLIC_READ = True
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    statuses = [
        APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forged(n))
        .get("/api/v1/agencies/")
        .status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_admin_sign_in_lockout_counts_the_connection_too(settings: Any) -> None:
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forged(n)).post(
            url, {"username": "staff", "password": "wrong", "next": "/admin/"}
        )
    right = {"username": "staff", "password": "correct horse battery staple"}
    locked = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forged(99)).post(url, right)
    assert locked.status_code == 429
    # and the victim whose address the attacker could have named is not locked out
    assert Client(REMOTE_ADDR=VICTIM).post(url, right).status_code == 302
