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


# --- Self-assessment ---------------------------------------------------------------------------

from .assessment_models import (  # noqa: E402
    AssessmentResult,
    AssessmentSignature,
    Indicator,
    SelfAssessment,
    TransparencySettings,
)


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_zh", "name_en", "area", "data_source", "agency", "is_active"]
    list_filter = ["agency", "area", "data_source", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["departments"]


class AssessmentResultInline(admin.TabularInline):
    model = AssessmentResult
    extra = 0
    fields = ["indicator", "proposed_level", "level", "reasons", "assessor"]
    readonly_fields = fields
    can_delete = False


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["year", "agency", "status", "approver", "approved_at"]
    list_filter = ["agency", "status"]
    readonly_fields = ["status", "approved_at", "figures", "figures_at"]
    inlines = [AssessmentResultInline]


@admin.register(AssessmentSignature)
class AssessmentSignatureAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "printed_name", "meaning", "signed_at"]
    readonly_fields = [f.name for f in AssessmentSignature._meta.fields]


@admin.register(TransparencySettings)
class TransparencySettingsAdmin(SimpleHistoryAdmin):
    list_display = ["agency", "publish_self_assessment"]


# --- Evidence packs: read in the admin; built, shared and revoked from the pack pages ---------

from .packs.models import EvidencePack, PackDownload, PackShare  # noqa: E402


class PackShareInline(admin.TabularInline):
    model = PackShare
    extra = 0
    fields = ["certifier", "shared_at", "expires_at", "revoked_at", "ended_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(EvidencePack)
class EvidencePackAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "title", "agency", "status", "period_start", "period_end"]
    list_filter = ["agency", "status"]
    search_fields = ["reference", "title"]
    readonly_fields = [f.name for f in EvidencePack._meta.concrete_fields]
    inlines = [PackShareInline]

    def has_add_permission(self, request):
        return False


@admin.register(PackDownload)
class PackDownloadAdmin(SimpleHistoryAdmin):
    list_display = ["pack", "person", "downloaded_at", "client_address"]
    list_filter = ["pack__agency"]
    readonly_fields = [
        "pack",
        "person",
        "downloaded_at",
        "client_address",
        "user_agent",
        "zip_sha256",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
