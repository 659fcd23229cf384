"""Admin of management reviews, with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ManagementReview


@admin.register(ManagementReview)
class ManagementReviewAdmin(SimpleHistoryAdmin):
    list_display = ["title", "meeting_date", "chair", "status"]
    list_select_related = ["chair"]
    raw_id_fields = ["chair"]
