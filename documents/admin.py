from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from qms_portal.organisation.admin import ReadOnlyAdmin, WorkflowRecordAdmin

from .models import Acknowledgement, Document, NumberingScheme, Rendition, Revision, Signature


@admin.register(NumberingScheme)
class NumberingSchemeAdmin(SimpleHistoryAdmin):
    list_display = ["agency", "doc_type", "prefix", "number_format", "review_period_months"]


@admin.register(Document)
class DocumentAdmin(GuardedModelAdmin, WorkflowRecordAdmin):
    """Editable until a revision is signed (the signatures bind to its identity, ``Revision.
    fingerprint``); numbering, review dates and obsolescence belong to the workflow."""

    list_display = [
        "number",
        "title",
        "doc_type",
        "owner_department",
        "next_review_due",
        "is_obsolete",
    ]
    list_filter = ["doc_type", "is_obsolete", "confidentiality"]
    list_select_related = ["owner_department"]
    search_fields = ["number", "title"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only: revisions change only through the document workflow (signatures bind to them)."""

    list_display = ["document", "label", "status", "effective_date", "author"]
    list_filter = ["status"]
    list_select_related = ["document", "author"]
    search_fields = ["document__number"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["revision", "printed_name", "meaning", "signed_at"]
    list_select_related = ["revision__document"]


@admin.register(Acknowledgement)
class AcknowledgementAdmin(WorkflowRecordAdmin):
    list_display = ["revision", "person", "assigned_at", "opened_at", "acknowledged_at"]
    list_select_related = ["revision__document", "person"]


@admin.register(Rendition)
class RenditionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only: renditions are made by the conversion task from the revision's own file."""

    list_display = ["revision", "status", "attempts", "converted_at"]
    list_filter = ["status"]
    list_select_related = ["revision__document"]
    search_fields = ["revision__document__number"]
