"""``key__any``: the rows of ``key__in``, with the list sent as one parameter."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives.models import Initiative, InitiativeAgency
from tests.factories import InitiativeAgencyFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


def test_finds_what_in_finds_on_keys_and_foreign_keys() -> None:
    roles = [InitiativeAgencyFactory() for _ in range(4)]
    wanted = [roles[0].initiative_id, roles[2].initiative_id, 10**12]  # one key matches nothing
    assert (
        set(InitiativeAgency.objects.filter(initiative_id__any=wanted))
        == set(InitiativeAgency.objects.filter(initiative_id__in=wanted))
        == {roles[0], roles[2]}
    )
    assert set(Initiative.objects.filter(pk__any=wanted)) == {
        roles[0].initiative,
        roles[2].initiative,
    }
    # Negated too, as any lookup can be.
    assert set(InitiativeAgency.objects.exclude(initiative_id__any=wanted)) == {roles[1], roles[3]}


def test_an_empty_list_matches_nothing_without_a_query() -> None:
    InitiativeFactory()
    with CaptureQueriesContext(connection) as captured:
        assert list(Initiative.objects.filter(pk__any=[])) == []
    assert len(captured) == 0


def test_the_list_is_one_parameter_however_long() -> None:
    def parameters(keys: list[int]) -> tuple[Any, ...]:
        return Initiative.objects.filter(pk__any=keys).values("id").query.sql_with_params()[1]

    assert len(parameters([1])) == len(parameters(list(range(1, 201)))) == 1


def test_refuses_what_is_not_a_key() -> None:
    with pytest.raises(ValueError, match="invalid literal for int"):
        Initiative.objects.filter(pk__any=["1; DROP TABLE x"])
