"""Admin of management reviews, with history."""

from django.contrib import admin

from qms_portal.organisation.admin import WorkflowRecordAdmin

from .models import ManagementReview


@admin.register(ManagementReview)
class ManagementReviewAdmin(WorkflowRecordAdmin):
    list_display = ["title", "meeting_date", "chair", "status"]
    list_select_related = ["chair"]
    raw_id_fields = ["chair"]
