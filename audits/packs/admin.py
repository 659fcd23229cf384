"""Evidence packs: read in the admin; built, shared and revoked from the pack pages."""

from django.contrib import admin

from qms_portal.organisation.admin import ReadOnlyAdmin, WorkflowRecordAdmin

from .models import EvidencePack, PackBuildLease, PackDownload, PackShare


class PackShareInline(admin.TabularInline):
    model = PackShare
    extra = 0
    fields = ["certifier", "shared_at", "expires_at", "revoked_at", "ended_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(EvidencePack)
class EvidencePackAdmin(WorkflowRecordAdmin):
    list_display = ["reference", "title", "agency", "status", "period_start", "period_end"]
    list_filter = ["agency", "status"]
    search_fields = ["reference", "title"]
    readonly_fields = [f.name for f in EvidencePack._meta.concrete_fields]
    inlines = [PackShareInline]


@admin.register(PackDownload)
class PackDownloadAdmin(WorkflowRecordAdmin):
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


@admin.register(PackBuildLease)
class PackBuildLeaseAdmin(ReadOnlyAdmin):
    """Which worker holds each pack's build and its last heartbeat (a stale one is recovered by
    the beat sweep)."""

    list_display = ["pack", "build_number", "attempt", "worker", "claimed_at", "heartbeat_at"]
    list_select_related = ["pack"]
