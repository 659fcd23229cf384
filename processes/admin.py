from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import WorkflowRecordAdmin

from .models import (
    Clause,
    Interaction,
    Kpi,
    Measurement,
    Process,
    ProcessInput,
    ProcessOutput,
    Risk,
)


@admin.register(Clause)
class ClauseAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "parent"]
    list_select_related = ["parent"]
    search_fields = ["number", "title"]
    readonly_fields = ["sort_key"]


class ProcessInputInline(admin.TabularInline):
    model = ProcessInput
    extra = 0


class ProcessOutputInline(admin.TabularInline):
    model = ProcessOutput
    extra = 0


@admin.register(Process)
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category", "owner", "department", "is_active"]
    list_filter = ["agency", "category", "is_active"]
    list_select_related = ["owner", "department"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["owner", "department", "clauses"]
    inlines = [ProcessInputInline, ProcessOutputInline]


@admin.register(ProcessInput)
class ProcessInputAdmin(SimpleHistoryAdmin):
    list_display = ["name", "supplier", "process"]
    list_select_related = ["process"]
    search_fields = ["name", "supplier", "process__code"]


@admin.register(ProcessOutput)
class ProcessOutputAdmin(SimpleHistoryAdmin):
    list_display = ["name", "customer", "process"]
    list_select_related = ["process"]
    search_fields = ["name", "customer", "process__code"]


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ["source", "output", "target"]
    list_select_related = ["source", "target"]
    search_fields = ["output", "source__code", "target__code"]
    autocomplete_fields = ["source", "target"]


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ["name", "process", "target", "unit", "direction", "frequency", "is_active"]
    list_filter = ["frequency", "direction", "is_active"]
    list_select_related = ["process"]
    search_fields = ["name", "process__code"]
    autocomplete_fields = ["process"]


@admin.register(Measurement)
class MeasurementAdmin(WorkflowRecordAdmin):
    """A recorded figure: corrected or voided on the KPI page, with a reason; read-only here."""

    list_display = ["kpi", "period", "value", "recorded_by", "recorded_at", "voided_at"]
    list_select_related = ["kpi__process", "recorded_by"]
    date_hierarchy = "period"
    autocomplete_fields = ["kpi", "recorded_by"]


@admin.register(Risk)
class RiskAdmin(WorkflowRecordAdmin):
    list_display = ["process", "kind", "likelihood", "impact", "owner", "review_date", "is_closed"]
    list_filter = ["kind", "is_closed"]
    list_select_related = ["process", "owner"]
    search_fields = ["description", "process__code"]
    autocomplete_fields = ["process", "owner"]
