"""Admin of the self-assessment and the transparency settings, with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import ReadOnlyAdmin, WorkflowRecordAdmin

from .models import (
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
class SelfAssessmentAdmin(WorkflowRecordAdmin):
    list_display = ["year", "agency", "status", "approver", "approved_at"]
    list_filter = ["agency", "status"]
    inlines = [AssessmentResultInline]


@admin.register(AssessmentSignature)
class AssessmentSignatureAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Signatures are final: inspected here, never edited or deleted."""

    list_display = ["assessment", "printed_name", "meaning", "signed_at"]


@admin.register(TransparencySettings)
class TransparencySettingsAdmin(SimpleHistoryAdmin):
    list_display = ["agency", "publish_self_assessment"]
