from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal import protection

from .models import (
    Agency,
    AuditChainHead,
    Department,
    FailedSignIn,
    Membership,
    Notification,
    OutboxTask,
    Person,
    ReferenceSequence,
    SealedChainHead,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "verification_deputy"]
    search_fields = ["name", "code"]
    raw_id_fields = ["verification_deputy"]


@admin.register(Department)
class DepartmentAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "parent", "agency", "is_active"]
    list_filter = ["agency", "is_active"]
    list_select_related = ["agency", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Person)
class PersonAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["agency", "groups", "is_active", "is_staff"]
    list_select_related = ["agency"]
    inlines = [MembershipInline]
    fieldsets = UserAdmin.fieldsets + (
        (
            _("Organisation"),
            {"fields": ["agency", "job_title", "phone", "external_organisation", "language"]},
        ),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (_("Organisation"), {"fields": ["agency", "email", "first_name", "last_name"]}),
    )


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["person", "department", "is_head", "since"]
    list_select_related = ["person", "department"]
    autocomplete_fields = ["person", "department"]


@admin.register(Notification)
class NotificationAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at", "emailed_at"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "key"]
    readonly_fields = ["key", "created_at", "read_at", "emailed_at", "email_attempts"]


def _refuse_history_revert(request):
    """simple-history's version page saves a past version when posted (revert), whatever
    ``SIMPLE_HISTORY_REVERT_DISABLED`` hides: for workflow records that would rewind a state."""
    if request.method == "POST":
        raise PermissionDenied


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records an administrator may inspect but never edit: the portal alone writes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _refuse_history_revert(request)
        return super().history_form_view(request, object_id, version_id, extra_context)


class WorkflowRecordAdmin(SimpleHistoryAdmin):
    """A workflow record in the admin (:mod:`qms_portal.protection`): its workflow fields (status
    and what transitions stamp) are never editable; once protected (signed, closed, effective,
    recorded, void) the whole record is read-only and nobody may delete it — not one by one, not
    with "delete selected", not through the cascade of a department, person or process (Django's
    ``get_deleted_objects`` asks this ``has_delete_permission`` for every related record). Records
    are made through the portal, never added here; void ones are listed too."""

    def get_queryset(self, request):
        manager = getattr(self.model, "all_records", self.model._default_manager)
        queryset = manager.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + [f for f in protection.workflow_fields(self.model) if f not in fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and protection.is_protected(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and protection.is_protected(obj):
            return False
        return super().has_delete_permission(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _refuse_history_revert(request)
        return super().history_form_view(request, object_id, version_id, extra_context)


OUTBOX_STATES = {
    "waiting": _("waiting for the broker"),
    "retrying": _("failed, retried later"),
    "published": _("published"),
    "dead": _("set aside after too many failures"),
}


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(OUTBOX_STATES.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value == "dead":
            return queryset.dead()
        if value == "published":
            return queryset.filter(published_at__isnull=False)
        if value in ("waiting", "retrying"):
            waiting = queryset.unpublished().filter(dead_at__isnull=True)
            return (
                waiting.filter(failures=0) if value == "waiting" else waiting.filter(failures__gt=0)
            )
        return queryset


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """Tasks waiting for the broker: a growing list or a repeated error shows a stuck worker; a
    task set aside after too many failures (dead-lettered) waits here until it is retried."""

    list_display = [
        "task_name",
        "state_shown",
        "created_at",
        "published_at",
        "attempts",
        "failures_so_far",
        "next_attempt_at",
        "dead_at",
        "last_error",
    ]
    list_filter = [OutboxStateFilter, ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_name", "last_error"]
    actions = ["retry"]

    @admin.display(description=_("state"))
    def state_shown(self, entry):
        return OUTBOX_STATES[entry.state]

    @admin.display(description=_("failures so far (kept once published)"), ordering="failures")
    def failures_so_far(self, entry):
        """Past failures stay counted after a later attempt is published (only a retry resets
        them); a published row has no back-off left."""
        return entry.failures

    def has_retry_permission(self, request):
        """Sending a task set aside once more changes the queue: administrators with the change
        permission on outbox tasks (seeing the queue is not enough)."""
        return request.user.has_perm("organisation.change_outboxtask")

    @admin.action(description=_("Retry the selected tasks"), permissions=["retry"])
    def retry(self, request, queryset):
        from qms_portal import outbox

        count = outbox.requeue(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d task queued again.", "%(count)d tasks queued again.", count)
            % {"count": count},
        )


@admin.register(FailedSignIn)
class FailedSignInAdmin(ReadOnlyAdmin):
    """Failed sign-ins, newest first: who was tried, from where, and why it failed or was refused.
    A security log: read-only, never deleted here."""

    list_display = ["attempted_at", "username", "client_address", "reason"]
    list_filter = ["reason", "attempted_at"]
    search_fields = ["username", "client_address"]
    date_hierarchy = "attempted_at"


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    """The last hash and length of each hash-chained history table (``verify_audit_trail``)."""

    list_display = ["table", "length", "last_hash"]
    search_fields = ["table"]


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ReadOnlyAdmin):
    """The last number given per agency, kind of reference and year (NC-2026-007)."""

    list_display = ["agency", "kind", "year", "last_value"]
    list_filter = ["kind", "year"]


@admin.register(SealedChainHead)
class SealedChainHeadAdmin(ReadOnlyAdmin):
    """Published chain heads and the statements they seal (``verify_audit_trail --against``)."""

    list_display = ["issued_at", "occasion", "seal"]
    search_fields = ["seal", "occasion"]
