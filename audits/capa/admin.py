"""Admin of nonconformities and actions, with history."""

from django.contrib import admin

from qms_portal.organisation.admin import WorkflowRecordAdmin

from .models import Action, Nonconformity


@admin.register(Nonconformity)
class NonconformityAdmin(WorkflowRecordAdmin):
    """Steps, verification and closure happen in the portal; one raised in error is voided there."""

    list_display = ["reference", "source", "severity", "department", "owner", "status", "voided_at"]
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
class ActionAdmin(WorkflowRecordAdmin):
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
