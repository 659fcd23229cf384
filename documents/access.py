"""Loading one document or revision for a person, with the same rule the register uses."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from . import workflow
from .models import Document, Revision


def get_document_for(person, pk, *, to="view"):
    """The document, or 404 when the person may not see it; 403 when they may see but not act."""
    document = (
        Document.objects.visible_to(person)
        .select_related("agency", "owner", "owner_department")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404(_("No such document."))
    if to == "edit" and not workflow.can_edit(person, document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can change %(number)s.")
            % {"department": document.owner_department.name, "number": document.number}
        )
    if to == "manage" and not workflow.can_manage(person, document):
        raise PermissionDenied(
            _("Only the owner of %(number)s or a quality manager can do this.")
            % {"number": document.number}
        )
    return document


def get_revision_for(person, document_pk, pk):
    """A revision of a visible document; drafts and reviews (also a draft withdrawn with its
    document, which was never in force) only for those who work on them."""
    document = get_document_for(person, document_pk)
    revision = Revision.objects.filter(document=document, pk=pk).select_related("author").first()
    if revision is None:
        raise Http404(_("No such revision."))
    if not revision.was_in_force and not workflow.can_read_open_revisions(person, document):
        raise Http404(_("No such revision."))
    revision.document = document
    return revision


def revisions_shown_to(person, document):
    """The document's revisions the person may see, newest first: those once in force for every
    reader, working copies too for the people who work on them (as ``get_revision_for``)."""
    readable = workflow.can_read_open_revisions(person, document)
    return [
        r
        for r in document.revisions.select_related("author").order_by("-created_at", "-pk")
        if r.was_in_force or readable
    ]


def require_editor(person, revision):
    if not workflow.can_edit(person, revision.document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can change %(number)s.")
            % {
                "department": revision.document.owner_department.name,
                "number": revision.document.number,
            }
        )


def require_named_signer(person, revision):
    named = (
        revision.reviewers.filter(pk=person.pk).exists()
        or revision.approvers.filter(pk=person.pk).exists()
    )
    if not named:
        raise PermissionDenied(
            _("Only the reviewers and approvers named for %(revision)s can sign it.")
            % {"revision": revision}
        )
