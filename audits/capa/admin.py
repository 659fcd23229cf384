"""Admin of nonconformities and actions, with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Action, Nonconformity


@admin.register(Nonconformity)
class NonconformityAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "source", "severity", "department", "owner", "status"]
    list_filter = ["status", "severity", "source"]
    list_select_related = ["department", "owner"]
    search_fields = ["reference", "description"]
    raw_id_fields = [
        "audit",
        "finding",
        "kpi",
        "measurement",
        "review",
        "clause",
        "process",
        "department",
        "owner",
        "raised_by",
        "verified_by",
    ]


@admin.register(Action)
class ActionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "owner", "due_date", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["owner"]
    search_fields = ["title"]
    raw_id_fields = [
        "owner",
        "department",
        "nonconformity",
        "review",
        "risk",
        "created_by",
        "verified_by",
    ]
