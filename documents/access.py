"""Who may see and do what in document control: the predicates the workflow enforces, the pages
offer as steps and the register uses, and loading one document or revision for a person."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms_portal.organisation.roles import is_administrator_of, is_quality_manager_of

from .models import Acknowledgement, Document, Revision, Signature

# Who may do what ---------------------------------------------------------------------------------


def can_create(person):
    """Register a new document at all: staff with a department, quality managers and
    administrators (the register's link and the create view ask the same question)."""
    if not person.is_authenticated or not person.is_active:
        return False
    return bool(person.department_ids or person.is_quality_manager or person.is_administrator)


def can_create_in(person, department):
    """Register a document owned by ``department``: its own staff, or the agency's quality
    managers and administrators."""
    return (
        is_quality_manager_of(person, department.agency_id)
        or is_administrator_of(person, department.agency_id)
        or department.pk in person.department_ids
    )


def can_edit(person, document):
    """Staff of the owner department (and its sections), quality managers and administrators."""
    if not person.is_authenticated or person.agency_id != document.agency_id:
        return person.is_superuser
    return (
        person.is_quality_manager
        or person.is_administrator
        or document.owner_department_id in person.department_ids
    )


#: Why a reader is refused a DOCX, XLSX or ODT revision's own file (``can_open_original``).
ORIGINAL_REFUSAL = gettext_lazy(
    "Only those who may edit the document may download the original file; readers get the "
    "controlled PDF copy."
)


def can_open_original(person, revision):
    """The uploaded DOCX, XLSX or ODT file itself, unstamped: only the document's editors (who
    revise it); everyone else reads its stamped PDF rendition (ISO 9001 7.5.3.2)."""
    return can_edit(person, revision.document)


def can_manage(person, document):
    """The document's owner, quality managers and administrators (obsolete, assign reading)."""
    return person.is_superuser or (
        person.agency_id == document.agency_id
        and (person.pk == document.owner_id or person.is_quality_manager or person.is_administrator)
    )


def can_read_open_revisions(person, document):
    """Drafts and revisions in review: editors, auditors and the people named to sign them."""
    if can_edit(person, document) or (person.is_auditor and person.agency_id == document.agency_id):
        return True
    return (
        Revision.objects.filter(document=document).filter(reviewers=person).exists()
        or Revision.objects.filter(document=document, approvers=person).exists()
    )


# Predicates on one revision (the steps of ``workflow.REVISION_MACHINE``) -------------------------


def can_edit_revision(person, revision):
    return can_edit(person, revision.document)


def can_manage_revision(person, revision):
    return can_manage(person, revision.document)


def is_named_reviewer(person, revision):
    return revision.reviewers.filter(pk=person.pk).exists()


def is_named_approver(person, revision):
    return revision.approvers.filter(pk=person.pk).exists()


def is_named_signer(person, revision):
    return is_named_reviewer(person, revision) or is_named_approver(person, revision)


def _signed_this_round(revision, meaning):
    return Signature.objects.filter(
        revision=revision, review_round=revision.review_round, meaning=meaning
    ).values("signer_id")


def can_review(person, revision):
    """A named reviewer who has not yet signed this round as reviewed."""
    return (
        is_named_reviewer(person, revision)
        and not _signed_this_round(revision, Signature.Meaning.REVIEWED)
        .filter(signer_id=person.pk)
        .exists()
    )


def can_approve(person, revision):
    """A named approver who has not approved this round, once every named reviewer has signed."""
    if not is_named_approver(person, revision):
        return False
    if (
        _signed_this_round(revision, Signature.Meaning.APPROVED)
        .filter(signer_id=person.pk)
        .exists()
    ):
        return False
    return (
        not revision.reviewers.exclude(
            pk__in=_signed_this_round(revision, Signature.Meaning.REVIEWED)
        )
        .only("pk")
        .exists()
    )


def can_reject(person, revision):
    """Any named reviewer or approver may return the draft, with a comment."""
    return is_named_signer(person, revision)


def can_acknowledge(person, revision):
    """Asked to read the revision and not yet confirmed."""
    return (
        person.is_authenticated
        and Acknowledgement.objects.pending().filter(revision=revision, person=person).exists()
    )


# Loading one record for a person ----------------------------------------------------------------


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
    if to == "edit" and not can_edit(person, document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can change %(number)s.")
            % {"department": document.owner_department.name, "number": document.number}
        )
    if to == "manage" and not can_manage(person, document):
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
    if not revision.was_in_force and not can_read_open_revisions(person, document):
        raise Http404(_("No such revision."))
    revision.document = document
    return revision


def revisions_shown_to(person, document):
    """The document's revisions the person may see, newest first: those once in force for every
    reader, working copies too for the people who work on them (as ``get_revision_for``)."""
    readable = can_read_open_revisions(person, document)
    return [
        r
        for r in document.revisions.select_related("author").order_by("-created_at", "-pk")
        if r.was_in_force or readable
    ]


def require_editor(person, revision):
    if not can_edit(person, revision.document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can change %(number)s.")
            % {
                "department": revision.document.owner_department.name,
                "number": revision.document.number,
            }
        )


def require_named_signer(person, revision):
    if not is_named_signer(person, revision):
        raise PermissionDenied(
            _("Only the reviewers and approvers named for %(revision)s can sign it.")
            % {"revision": revision}
        )
