"""Admin of internal audits, with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import ReadOnlyAdmin, WorkflowRecordAdmin

from .models import Audit, AuditProgramme, ChecklistItem, Evidence, ReportSignature


@admin.register(AuditProgramme)
class AuditProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "agency"]
    list_filter = ["agency", "year"]


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["position", "clause", "process", "question", "result"]
    readonly_fields = ["result"]
    raw_id_fields = ["clause", "process"]


@admin.register(Audit)
class AuditAdmin(WorkflowRecordAdmin):
    list_display = ["reference", "title", "department", "lead_auditor", "planned_start", "status"]
    list_filter = ["status", "audit_type", "programme"]
    list_select_related = ["department", "lead_auditor"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["lead_auditor", "department", "programme"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(WorkflowRecordAdmin):
    list_display = ["audit", "question", "result"]
    list_select_related = ["audit"]
    raw_id_fields = ["audit", "clause", "process", "assessed_by"]


@admin.register(Evidence)
class EvidenceAdmin(WorkflowRecordAdmin):
    list_display = ["original_filename", "item", "uploaded_by", "uploaded_at"]
    list_select_related = ["item", "uploaded_by"]
    raw_id_fields = ["item", "uploaded_by"]


@admin.register(ReportSignature)
class ReportSignatureAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Signatures are final: inspected here, never edited or deleted."""

    list_display = ["printed_name", "meaning", "audit", "review", "signed_at"]
    list_select_related = ["audit", "review"]
