from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Action,
    Audit,
    AuditProgramme,
    ChecklistItem,
    Evidence,
    ManagementReview,
    Nonconformity,
    ReportSignature,
)


@admin.register(AuditProgramme)
class AuditProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "agency"]
    list_filter = ["agency", "year"]


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "clause", "process", "question", "result"]
    raw_id_fields = ["clause", "process"]


@admin.register(Audit)
class AuditAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "title", "department", "lead_auditor", "planned_start", "status"]
    list_filter = ["status", "audit_type", "programme"]
    list_select_related = ["department", "lead_auditor"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["lead_auditor", "department", "programme"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(SimpleHistoryAdmin):
    list_display = ["audit", "question", "result"]
    list_select_related = ["audit"]
    raw_id_fields = ["audit", "clause", "process", "assessed_by"]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["original_filename", "item", "uploaded_by", "uploaded_at"]
    list_select_related = ["item", "uploaded_by"]
    raw_id_fields = ["item", "uploaded_by"]


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


@admin.register(ManagementReview)
class ManagementReviewAdmin(SimpleHistoryAdmin):
    list_display = ["title", "meeting_date", "chair", "status"]
    list_select_related = ["chair"]
    raw_id_fields = ["chair"]


@admin.register(ReportSignature)
class ReportSignatureAdmin(SimpleHistoryAdmin):
    list_display = ["printed_name", "meaning", "audit", "review", "signed_at"]
    list_select_related = ["audit", "review"]
    readonly_fields = ["fingerprint", "digest"]
