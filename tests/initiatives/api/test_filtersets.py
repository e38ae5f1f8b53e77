"""FilterSets built for reuse: each request still validates its own parameters."""

from __future__ import annotations

import pytest

from initiatives.api.filtersets import MilestoneFilterSet
from initiatives.models import Milestone

pytestmark = pytest.mark.django_db


def test_filter_forms_share_their_fields_and_keep_their_own_values_and_errors() -> None:
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
    # One set of fields for every form of the class, not a deep copy per request ...
    assert bad.form.fields["overdue"] is good.form.fields["overdue"]
    # ... while each form's mapping of them is its own.
    del bad.form.fields["status"]
    assert "status" in good.form.fields
    assert "status" in MilestoneFilterSet(data={}, queryset=Milestone.objects.all()).form.fields
