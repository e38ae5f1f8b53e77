"""FilterSets built for reuse: each request still validates its own parameters."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from initiatives.api.filtersets import MilestoneFilterSet
from initiatives.models import Milestone

pytestmark = pytest.mark.django_db


def test_filter_forms_keep_their_own_values_and_errors() -> None:
    bad = MilestoneFilterSet(data={"overdue": "maybe"}, queryset=Milestone.objects.all())
    good = MilestoneFilterSet(
        data={"overdue": "true", "status": "planned,in_progress"}, queryset=Milestone.objects.all()
    )
    assert not bad.is_valid()
    assert list(bad.errors) == ["overdue"]
    assert good.is_valid(), good.errors
    assert good.form.cleaned_data["overdue"] is True
    assert good.form.cleaned_data["status"] == ["planned", "in_progress"]
    assert bad.form.cleaned_data.get("status") in (None, [])
    # each form's fields are its own
    del bad.form.fields["status"]
    assert "status" in good.form.fields
    assert "status" in MilestoneFilterSet(data={}, queryset=Milestone.objects.all()).form.fields


def test_the_schema_declares_the_bounds_a_number_filter_checks(editor: APIClient) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/milestones/"]["get"]["parameters"]
    (due_within,) = [p for p in parameters if p["name"] == "due_within"]
    assert (due_within["schema"]["minimum"], due_within["schema"]["maximum"]) == (0, 3660)
    # and the filter refuses what the schema rules out, naming the parameter
    response = editor.get("/api/v1/milestones/", {"due_within": -1})
    assert response.status_code == 400
    assert "due_within" in response.json()
