from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import ReadOnlyAdmin

from .models import (
    ApiKey,
    Holiday,
    RequestPhoto,
    RequestUpdate,
    Service,
    ServiceQuestion,
    ServiceRequest,
    SubmissionKey,
)


class ServiceQuestionInline(admin.TabularInline):
    model = ServiceQuestion
    extra = 0


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "department", "commitment_days", "is_public", "is_active"]
    list_filter = ["is_public", "is_active", "is_complaint", "department"]
    list_select_related = ["department"]
    search_fields = ["code", "name_en", "name_zh"]
    inlines = [ServiceQuestionInline]


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "name", "is_working_day", "agency"]
    list_filter = ["agency", "is_working_day"]
    date_hierarchy = "date"


@admin.register(ApiKey)
class ApiKeyAdmin(SimpleHistoryAdmin):
    """Open311 keys: administrators issue them to clients and switch them off."""

    list_display = ["name", "is_active", "created_at"]
    readonly_fields = ["key", "created_at"]


class RequestUpdateInline(admin.TabularInline):
    model = RequestUpdate
    extra = 0
    can_delete = False
    readonly_fields = ["author", "is_public", "text", "from_status", "to_status", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only: requests change only through the workflow (the portal's queue)."""

    list_display = ["pk", "service", "department", "status", "submitted_at", "due_date", "rating"]
    list_filter = ["status", "channel", "department"]
    list_select_related = ["service", "department"]
    search_fields = ["tracking_code", "description"]
    inlines = [RequestUpdateInline]


@admin.register(RequestPhoto)
class RequestPhotoAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Photos citizens attached (bytes checked at upload): shown, never edited or replaced."""

    list_display = ["original_filename", "request", "file_kind", "file_size", "sha256"]
    list_select_related = ["request"]
    search_fields = ["original_filename", "sha256", "request__tracking_code"]


@admin.register(SubmissionKey)
class SubmissionKeyAdmin(ReadOnlyAdmin):
    """Keys that made a repeated submission return the first request; written only by it."""

    list_display = ["scope", "key", "service_request", "created_at"]
    list_select_related = ["service_request"]
    search_fields = ["key", "service_request__tracking_code"]
