"""Sign-in records (django-axes) and access tokens: superusers only."""

from __future__ import annotations

import datetime
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from initiatives.admin.base import SuperusersOnly
from initiatives.models import AccessToken
from initiatives.tokens import token_issue, token_revoke


# --- Sign-in records (django-axes) ---------------------------------------------------------------
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # axes' own action reads the attempt time its sign-in handlers stamp on a request, which
        # an admin request has not got (AttributeError, a 500); without one it counts from now.
        request.axes_attempt_time = None  # type: ignore[attr-defined]
        super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)


# --- Tokens -------------------------------------------------------------------------------------
class AccessTokenAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        min_value=1, required=False, help_text="Leave empty for a token that never expires."
    )

    class Meta:
        model = AccessToken
        fields = ["user", "name", "scope"]


@admin.register(AccessToken)
class AccessTokenAdmin(SuperusersOnly, admin.ModelAdmin):
    """API and calendar feed tokens. A new token is shown once, right after it is issued."""

    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at", "last_used_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    autocomplete_fields = ["user"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tokens are issued and revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay on record

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = AccessTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "name", "scope", "expires_in_days"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        days = form.cleaned_data.get("expires_in_days")
        row, token = token_issue(
            user=obj.user,
            name=obj.name,
            scope=obj.scope,
            expires_in=datetime.timedelta(days=days) if days else None,
        )
        obj.pk = row.pk
        messages.warning(
            request, f"The token for {row.user}: {token} — copy it now; it is not shown again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token)
        messages.success(request, "Revoked.")
