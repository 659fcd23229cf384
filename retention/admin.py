"""Retention records in the admin: read only. Rules, holds and runs change on the retention
pages (with the checks of ``workflow.py``); disposal records never change."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import ReadOnlyAdmin

from .models import (
    DisposalApproval,
    DisposalCandidate,
    DisposalRecord,
    DisposalRun,
    LegalHold,
    RetentionRule,
)


class CandidateInline(admin.TabularInline):
    model = DisposalCandidate
    extra = 0
    fields = ["record_type", "reference", "trigger_date", "rule_years", "outcome", "skip_reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    model = DisposalApproval
    extra = 0
    fields = ["printed_name", "meaning", "signed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RetentionRule)
class RetentionRuleAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["agency", "record_type", "years", "trigger_event"]
    list_filter = ["agency", "record_type"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["agency", "record_type", "object_label", "placed_at", "released_at"]
    list_filter = ["agency", "record_type"]


@admin.register(DisposalRun)
class DisposalRunAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["reference", "agency", "status", "proposed_at", "executed_at"]
    list_filter = ["agency", "status"]
    inlines = [ApprovalInline, CandidateInline]


@admin.register(DisposalRecord)
class DisposalRecordAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["reference", "record_type", "action", "disposed_at", "executed_by"]
    list_filter = ["agency", "record_type", "action"]
    search_fields = ["reference", "title"]
