"""Query parameters of the list endpoints, one FilterSet per model.

Every parameter is validated: a value that means nothing (an unknown status, agency or ordering,
a boolean that is not true/false, a malformed date) is a 400 naming the parameter, never an
empty list or a silently ignored filter.

A multi-value parameter (``MultiValueFilter``) takes its values repeated (``status=a&status=b``,
as generated clients send arrays) or as a comma list (``status=a,b``), or both at once: a filter
answers the rows that match any of them, ``ordering`` sorts by each key in turn.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.utils import extend_schema_field

from initiatives.api.numbers import is_whole_number
from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    Membership,
    Milestone,
    MilestoneQuerySet,
    ProgressUpdate,
)

TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else is an error, not "no filter"."""

    def clean(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError("Use true or false.")


class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class CommaListWidget(BaseCSVWidget, forms.TextInput):
    """Reads a parameter repeated (``status=a&status=b``) as the comma list it means
    (``status=a,b``), so that both forms, and a mix of them, give the same values."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist") and name in data:  # a QueryDict: every value, in order
            data = {name: ",".join(data.getlist(name))}
        return super().value_from_datadict(data, files, name)


MULTI_VALUE_HELP = "Several values: repeat the parameter, or separate the values with commas."


class MultiValueFilter(filters.Filter):
    """A filter that takes several values (see CommaListWidget); the schema documents it as an
    array given by repeating the parameter, the comma form in its description."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaListWidget)
        label = kwargs.get("label")
        kwargs.setdefault(
            "help_text", f"{label}. {MULTI_VALUE_HELP}" if label else MULTI_VALUE_HELP
        )
        super().__init__(*args, **kwargs)


class AgencyReferenceField(forms.Field):
    """Agency ids or short names, resolved to ids; unknown ones are an error."""

    def clean(self, value: Any) -> list[int] | None:
        references = [part.strip() for part in value or () if part.strip()]
        if not references:
            return None
        if any(
            len(ref) > (18 if is_whole_number(ref) else 32) or "\x00" in ref for ref in references
        ):
            raise forms.ValidationError("Give agency ids or short names.")
        ids = {int(ref) for ref in references if is_whole_number(ref)}
        names = {ref.lower() for ref in references if not is_whole_number(ref)}
        matches = Q(pk__in=ids)
        for name in names:
            matches |= Q(short_name__iexact=name)
        rows = Agency.objects.filter(matches).values_list("id", "short_name")
        known_ids = {agency_id for agency_id, _ in rows}
        known_names = {short_name.lower(): agency_id for agency_id, short_name in rows}
        unknown = [
            ref
            for ref in references
            if (
                int(ref) not in known_ids
                if is_whole_number(ref)
                else ref.lower() not in known_names
            )
        ]
        if unknown:
            # The references as a parameter, not in the message: a "%" in one would be read as
            # a placeholder when the message is formatted.
            raise forms.ValidationError(
                "No agency with id or short name %(unknown)s.",
                params={"unknown": ", ".join(unknown)},
            )
        return sorted(ids | {known_names[name] for name in names})


# In a query an id and a short name are both text ("3", "MIIT").
@extend_schema_field({"type": "string"})
class AgencyReferenceFilter(MultiValueFilter):
    field_class = AgencyReferenceField


class ChoiceInFilter(MultiValueFilter, filters.BaseInFilter, filters.ChoiceFilter):
    """Choices, each checked."""


class SlugInFilter(MultiValueFilter, filters.BaseInFilter, filters.CharFilter):
    """Slugs (of tags): rows with any of them."""


class OrderingFilter(MultiValueFilter, filters.OrderingFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            "Sort keys, the first one first; a leading - sorts descending. Repeat the parameter "
            "or separate the keys with commas.",
        )
        super().__init__(*args, **kwargs)


# Ids are 64-bit integers: a longer number is no id (and would overflow the database's type).
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(filters.NumberFilter):
    field_class = IdField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class NumberInFilter(MultiValueFilter, filters.BaseInFilter, IdFilter):
    """Ids of rows."""


class WholeNumberFilter(filters.Filter):
    field_class = forms.IntegerField


class FilterSet(filters.FilterSet):
    """django-filter's FilterSet (the project's filter sets derive from it, one place to
    change them all)."""


class AgencyFilterSet(FilterSet):
    kind = ChoiceInFilter(choices=Agency.Kind.choices)
    parent = NumberInFilter(field_name="parent_id", label="Ids of parent agencies")
    search = filters.CharFilter(method="filter_search", label="Words in name or short name")
    ordering = OrderingFilter(fields=["short_name", "name", "id"])

    class Meta:
        model = Agency
        fields = ["kind", "parent"]

    def filter_search(self, queryset: QuerySet[Agency], name: str, value: str) -> Any:
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(name_zh__icontains=value)
        )


class MembershipFilterSet(FilterSet):
    agency = AgencyReferenceFilter(
        field_name="agency_id", lookup_expr="in", label="Agency: ids or short names"
    )
    user = NumberInFilter(field_name="user_id", label="User ids")
    role = ChoiceInFilter(choices=Membership.Role.choices)

    class Meta:
        model = Membership
        fields: list[str] = []


class InitiativeFilterSet(FilterSet):
    status = ChoiceInFilter(choices=Initiative.Status.choices)
    confidence = ChoiceInFilter(choices=Initiative.Confidence.choices)
    owner_agency = AgencyReferenceFilter(
        field_name="owner_agency_id", lookup_expr="in", label="Lead agency: ids or short names"
    )
    agency = AgencyReferenceFilter(
        method="filter_agency", label="Lead or supporting agency: ids or short names"
    )
    theme = filters.CharFilter(field_name="theme", lookup_expr="iexact")
    parent = NumberInFilter(field_name="parent_id", label="Ids of parent programmes")
    tag = SlugInFilter(field_name="tags__slug", lookup_expr="in", label="Tag slugs", distinct=True)
    announced_after = filters.DateFilter(
        field_name="announced_on", lookup_expr="gte", label="Announced on or after this day"
    )
    announced_before = filters.DateFilter(
        field_name="announced_on", lookup_expr="lte", label="Announced on or before this day"
    )
    target_after = filters.DateFilter(
        field_name="target_date", lookup_expr="gte", label="Target date on or after this day"
    )
    target_before = filters.DateFilter(
        field_name="target_date", lookup_expr="lte", label="Target date on or before this day"
    )
    has_overdue = StrictBooleanFilter(
        method="filter_has_overdue", label="Has an open milestone past its due date"
    )
    search = filters.CharFilter(method="filter_search", label="Words in title, summary or agency")
    ordering = OrderingFilter(
        fields=[
            "id",
            "title",
            "status",
            "confidence",
            "progress",
            "announced_on",
            "target_date",
            "updated_at",
        ]
    )

    class Meta:
        model = Initiative
        fields: list[str] = []

    def filter_agency(self, queryset: QuerySet[Initiative], name: str, value: list[int]) -> Any:
        supports = InitiativeAgency.objects.filter(initiative=OuterRef("pk"), agency_id__in=value)
        return queryset.filter(Q(owner_agency_id__in=value) | Exists(supports))

    def filter_has_overdue(self, queryset: QuerySet[Initiative], name: str, value: bool) -> Any:
        overdue = Milestone.objects.overdue().filter(initiative=OuterRef("pk"))
        return queryset.filter(Exists(overdue) if value else ~Exists(overdue))

    def filter_search(self, queryset: QuerySet[Initiative], name: str, value: str) -> Any:
        return queryset.filter(
            Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(owner_agency__short_name__icontains=value)
            | Q(owner_agency__name__icontains=value)
        )


class MilestoneFilterSet(FilterSet):
    initiative = NumberInFilter(field_name="initiative_id", label="Initiative ids")
    agency = AgencyReferenceFilter(
        field_name="initiative__owner_agency_id",
        lookup_expr="in",
        label="Lead agency of the initiative: ids or short names",
    )
    status = ChoiceInFilter(choices=Milestone.Status.choices)
    owner = NumberInFilter(field_name="owner_id", label="Ids of the owners (users)")
    due_after = filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label="Due on or after this day"
    )
    due_before = filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before this day"
    )
    overdue = StrictBooleanFilter(method="filter_overdue", label="Open and past its due date")
    due_status = ChoiceInFilter(choices=Milestone.DueStatus.choices, method="filter_due_status")
    due_within = WholeNumberFilter(
        method="filter_due_within",
        min_value=0,
        max_value=3660,
        label="Open and due within this many days from today",
    )
    ordering = OrderingFilter(fields=["due_date", "id", "title", "updated_at"])

    class Meta:
        model = Milestone
        fields: list[str] = []

    def filter_overdue(self, queryset: MilestoneQuerySet, name: str, value: bool) -> Any:
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_due_within(self, queryset: MilestoneQuerySet, name: str, value: int) -> Any:
        return queryset.due_within(value)

    def filter_due_status(self, queryset: MilestoneQuerySet, name: str, value: list[str]) -> Any:
        return queryset.due_status_in(value)


class ProgressUpdateFilterSet(FilterSet):
    initiative = NumberInFilter(field_name="initiative_id", label="Initiative ids")
    author = NumberInFilter(field_name="author_id", label="Ids of the authors (users)")
    posted_after = filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte")
    posted_before = filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="lte")
    ordering = OrderingFilter(fields=["posted_at", "id"])

    class Meta:
        model = ProgressUpdate
        fields: list[str] = []


class IndicatorFilterSet(FilterSet):
    initiative = NumberInFilter(field_name="initiative_id", label="Initiative ids")
    direction = ChoiceInFilter(choices=Indicator.Direction.choices)
    kind = ChoiceInFilter(choices=Indicator.Kind.choices)
    ordering = OrderingFilter(fields=["id", "name"])

    class Meta:
        model = Indicator
        fields: list[str] = []


class IndicatorReadingFilterSet(FilterSet):
    indicator = NumberInFilter(field_name="indicator_id", label="Indicator ids")
    initiative = NumberInFilter(
        field_name="indicator__initiative_id", label="Ids of the indicators' initiatives"
    )
    observed_after = filters.DateFilter(field_name="observed_on", lookup_expr="gte")
    observed_before = filters.DateFilter(field_name="observed_on", lookup_expr="lte")
    ordering = OrderingFilter(fields=["observed_on", "id"])

    class Meta:
        model = IndicatorReading
        fields: list[str] = []
