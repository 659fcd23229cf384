"""Every change to controlled documents: numbering, revisions, review and approval with electronic
signatures, effectiveness, obsolescence, periodic review and read-and-acknowledge.

Transitions of a revision (ISO 9001:2015 clause 7.5.2 review and approval, 7.5.3 control):

    draft ──submit──► in review ──all approvers sign──► approved ──effective date──► effective
      ▲                   │                                                         │
      └────reject─────────┘                                 next revision effective ▼
                                                                                superseded
    effective ──document made obsolete──► obsolete

Each function locks the rows it changes, checks who may act, records history with a reason and
queues e-mails and tasks only after the transaction commits.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from guardian.shortcuts import assign_perm

from qms_portal import uploads
from qms_portal.organisation.models import Person
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.signing import confirm_signature_password

from .models import (
    DEFAULT_PREFIXES,
    Acknowledgement,
    Confidentiality,
    Document,
    NumberingScheme,
    NumberSequence,
    Revision,
    Signature,
    months_after,
)

Status = Revision.Status

#: Allowed revision transitions: name → (from states, to state).
TRANSITIONS = {
    "submit": ((Status.DRAFT,), Status.IN_REVIEW),
    "reject": ((Status.IN_REVIEW,), Status.DRAFT),
    "approve": ((Status.IN_REVIEW,), Status.APPROVED),
    "make_effective": ((Status.APPROVED,), Status.EFFECTIVE),
    "supersede": ((Status.EFFECTIVE,), Status.SUPERSEDED),
    "make_obsolete": (
        (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.EFFECTIVE),
        Status.OBSOLETE,
    ),
}


class DocumentError(Exception):
    """A rule of document control was broken; the message says what to do instead."""


def _require_transition(revision, name):
    allowed_from, _target = TRANSITIONS[name]
    if revision.status not in allowed_from:
        raise DocumentError(
            _("Revision %(label)s of %(number)s is %(status)s, so it cannot be %(action)s.")
            % {
                "label": revision.label,
                "number": revision.document.number,
                "status": revision.get_status_display().lower(),
                "action": _ACTION_NAMES[name],
            }
        )


# Lazy: a module-level gettext would freeze the language of whoever imported the module first.
_ACTION_NAMES = {
    "submit": gettext_lazy("submitted for review"),
    "reject": pgettext_lazy("revision transition", "rejected"),
    "approve": pgettext_lazy("revision transition", "approved"),
    "make_effective": gettext_lazy("made effective"),
    "supersede": gettext_lazy("superseded"),
    "make_obsolete": gettext_lazy("made obsolete"),
}


def _set_status(revision, name, reason, **fields):
    revision.status = TRANSITIONS[name][1]
    for field, value in fields.items():
        setattr(revision, field, value)
    revision._change_reason = reason
    revision.save()


# Who may do what --------------------------------------------------------------------------------


def can_edit(person, document):
    """Staff of the owner department (and its sections), quality managers and administrators."""
    if not person.is_authenticated or person.agency_id != document.agency_id:
        return person.is_superuser
    return (
        person.is_quality_manager
        or person.is_administrator
        or document.owner_department_id in person.department_ids
    )


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


# Numbering --------------------------------------------------------------------------------------


def scheme_for(agency, doc_type):
    scheme, _created = NumberingScheme.objects.get_or_create(
        agency=agency, doc_type=doc_type, defaults={"prefix": DEFAULT_PREFIXES[doc_type]}
    )
    return scheme


def next_number(*, agency, doc_type, department):
    """Take the next free number (e.g. PRO-FIN-003); the sequence row is locked meanwhile."""
    scheme = scheme_for(agency, doc_type)
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(
                agency=agency, doc_type=doc_type, department=department
            )
    except IntegrityError:  # created concurrently: it exists now
        pass
    sequence = NumberSequence.objects.select_for_update(of=("self",)).get(
        agency=agency, doc_type=doc_type, department=department
    )
    while True:
        sequence.last_value += 1
        number = scheme.number_format.format(
            prefix=scheme.prefix,
            department=department.code,
            sequence=sequence.last_value,
            year=timezone.localdate().year,
        )
        if not Document.objects.filter(number=number).exists():
            break
    sequence.save(update_fields=["last_value"])
    return number, scheme


# Files ------------------------------------------------------------------------------------------


def check_file(upload, agency):
    """Validate an upload before anything is written (raises ValidationError with the reason)."""
    return uploads.check_upload(upload, folder=f"documents/{agency.code}")


def _store_file(revision, checked, upload):
    revision.storage_name = checked.storage_name
    revision.original_filename = checked.display_name
    revision.file_kind = checked.kind.code
    revision.file_size = checked.size
    revision.sha256 = checked.sha256
    revision.file.save(checked.storage_name, upload, save=False)


def _queue_text_extraction(revision):
    from qms_portal import outbox

    outbox.enqueue("documents.tasks.extract_revision_text", revision.pk)


# Documents and revisions ------------------------------------------------------------------------


def create_document(
    *,
    actor,
    title,
    doc_type,
    owner_department,
    owner,
    upload,
    change_summary,
    confidentiality=Confidentiality.INTERNAL,
    restricted_to=(),
    review_period_months=None,
    retention_years=None,
    label="A",
):
    """Register a new document with its first revision (a draft), numbered by the scheme."""
    agency = owner_department.agency
    if not (
        actor.is_quality_manager
        or actor.is_administrator
        or owner_department.pk in actor.department_ids
    ):
        raise PermissionDenied(_("You can create documents only for your own departments."))
    if owner.agency_id != agency.pk:
        raise DocumentError(_("The owner must work for %(agency)s.") % {"agency": agency})
    if confidentiality == Confidentiality.RESTRICTED and not restricted_to:
        raise DocumentError(_("Name the departments a restricted document is restricted to."))
    checked = check_file(upload, agency)
    with uploads.removing_on_failure(checked), transaction.atomic():
        number, scheme = next_number(agency=agency, doc_type=doc_type, department=owner_department)
        document = Document(
            agency=agency,
            number=number,
            title=title,
            doc_type=doc_type,
            owner_department=owner_department,
            owner=owner,
            confidentiality=confidentiality,
            review_period_months=review_period_months or scheme.review_period_months,
            retention_years=retention_years
            if retention_years is not None
            else scheme.retention_years,
        )
        document._change_reason = "registered"
        document.save()
        if confidentiality == Confidentiality.RESTRICTED:
            document.restricted_to.set(restricted_to)
        revision = Revision(
            document=document, label=label, change_summary=change_summary, author=actor
        )
        _store_file(revision, checked, upload)
        revision._change_reason = "first draft"
        revision.save()
        _queue_text_extraction(revision)
    return document


def _next_label(document):
    labels = list(document.revisions.values_list("label", flat=True))
    letters = [label for label in labels if len(label) == 1 and label.isalpha()]
    if letters and len(letters) == len(labels):
        last = max(letters)
        return chr(ord(last) + 1) if last < "Z" else str(len(labels) + 1)
    return str(len(labels) + 1)


def start_revision(*, document, actor, change_summary, upload, label=None):
    """Start the next revision of a document as a draft (only one open revision at a time)."""
    if not can_edit(actor, document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can revise %(number)s.")
            % {"department": document.owner_department.name, "number": document.number}
        )
    checked = check_file(upload, document.agency)
    with uploads.removing_on_failure(checked), transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if document.is_obsolete:
            raise DocumentError(
                _("%(number)s is obsolete; it cannot be revised.") % {"number": document.number}
            )
        open_revision = document.revisions.open().first()
        if open_revision:
            raise DocumentError(
                _(
                    "Revision %(label)s is still %(status)s. Finish or withdraw it before starting another."
                )
                % {
                    "label": open_revision.label,
                    "status": open_revision.get_status_display().lower(),
                }
            )
        label = (label or _next_label(document)).strip()
        if document.revisions.filter(label=label).exists():
            raise DocumentError(
                _("%(number)s already has a revision %(label)s.")
                % {"number": document.number, "label": label}
            )
        revision = Revision(
            document=document, label=label, change_summary=change_summary, author=actor
        )
        _store_file(revision, checked, upload)
        revision._change_reason = "new draft"
        revision.save()
        _queue_text_extraction(revision)
    return revision


def _lock(revision_id):
    return (
        Revision.objects.select_for_update(of=("self",))
        .select_related("document", "document__agency")
        .get(pk=revision_id)
    )


def update_draft(*, revision_id, actor, change_summary, upload=None):
    """Change a draft's summary or file. Anything submitted or signed is frozen."""
    checked = None
    revision = Revision.objects.select_related("document__agency").get(pk=revision_id)
    if not can_edit(actor, revision.document):
        raise PermissionDenied(_("Only staff of the owner department can edit this draft."))
    if upload is not None:
        checked = check_file(upload, revision.document.agency)
    with uploads.removing_on_failure(checked), transaction.atomic():
        revision = _lock(revision_id)
        if not revision.is_editable:
            raise DocumentError(
                _("Revision %(label)s is %(status)s; only drafts can be edited.")
                % {"label": revision.label, "status": revision.get_status_display().lower()}
            )
        revision.change_summary = change_summary
        if checked:
            _store_file(revision, checked, upload)
            revision.extracted_text = ""
        revision._change_reason = "draft edited"
        revision.save()
        if checked:  # the earlier draft file is kept: history rows point to it
            _queue_text_extraction(revision)
    return revision


def submit_for_review(*, revision_id, actor, reviewers, approvers, effective_date=None):
    """Send a draft to its named reviewers and approvers (ISO 9001 7.5.2 c)."""
    reviewers, approvers = list(reviewers), list(approvers)
    with transaction.atomic():
        revision = _lock(revision_id)
        document = revision.document
        if not can_edit(actor, document):
            raise PermissionDenied(
                _("Only staff of the owner department can submit this revision.")
            )
        _require_transition(revision, "submit")
        if not approvers:
            raise DocumentError(_("Name at least one approver."))
        if revision.author in approvers:
            raise DocumentError(
                _("The author of a revision cannot approve it; name another approver.")
            )
        outsiders = [
            p for p in reviewers + approvers if p.agency_id != document.agency_id or not p.is_active
        ]
        if outsiders:
            raise DocumentError(
                _("%(person)s cannot sign for %(agency)s.")
                % {"person": outsiders[0], "agency": document.agency}
            )
        if effective_date and effective_date < timezone.localdate():
            raise DocumentError(_("The effective date cannot be in the past."))
        revision.reviewers.set(reviewers)
        revision.approvers.set(approvers)
        _set_status(
            revision,
            "submit",
            "submitted for review",
            review_round=revision.review_round + 1,
            review_comments="",
            effective_date=effective_date,
        )
        for person in {*reviewers, *approvers}:
            notify(
                recipient=person,
                key=f"doc-sign:{revision.pk}:{revision.review_round}:{person.pk}",
                subject=lambda: _("Please review and sign %(revision)s") % {"revision": revision},
                body=lambda: revision.change_summary,
                url=revision.get_absolute_url(),
                actor=actor,
            )
    return revision


def _signed(revision, meaning):
    return set(
        revision.signatures.filter(review_round=revision.review_round, meaning=meaning).values_list(
            "signer_id", flat=True
        )
    )


def sign(*, revision_id, signer, password, meaning, comment=""):
    """Sign a revision in review: reviewed, approved or rejected (with a comment).

    The signer re-enters their password; the signature records the printed name, time and meaning,
    bound to the revision's fingerprint. The last approval makes the revision approved, and
    effective at once when its effective date has come.
    """
    confirm_signature_password(
        signer,
        password,
        error=DocumentError,
        wrong_password_message=_("The password is not correct; the revision was not signed."),
    )
    comment = (comment or "").strip()
    with transaction.atomic():
        revision = _lock(revision_id)
        if revision.status != Status.IN_REVIEW:
            raise DocumentError(
                _("Revision %(label)s of %(number)s is %(status)s; there is nothing to sign.")
                % {
                    "label": revision.label,
                    "number": revision.document.number,
                    "status": revision.get_status_display().lower(),
                }
            )
        reviewers = set(revision.reviewers.values_list("pk", flat=True))
        approvers = set(revision.approvers.values_list("pk", flat=True))
        reviewed, approved = (
            _signed(revision, Signature.Meaning.REVIEWED),
            _signed(revision, Signature.Meaning.APPROVED),
        )
        if meaning == Signature.Meaning.REVIEWED:
            if signer.pk not in reviewers:
                raise PermissionDenied(
                    _("Only the named reviewers can review %(revision)s.") % {"revision": revision}
                )
            if signer.pk in reviewed:
                raise DocumentError(_("You have already signed this revision as reviewed."))
        elif meaning == Signature.Meaning.APPROVED:
            if signer.pk not in approvers:
                raise PermissionDenied(
                    _("Only the named approver can approve revision %(label)s of %(number)s.")
                    % {"label": revision.label, "number": revision.document.number}
                )
            if signer.pk in approved:
                raise DocumentError(_("You have already approved this revision."))
            if reviewers - reviewed:
                raise DocumentError(
                    _("Every named reviewer must sign before approval; waiting for %(count)d.")
                    % {"count": len(reviewers - reviewed)}
                )
        elif meaning == Signature.Meaning.REJECTED:
            if signer.pk not in reviewers | approvers:
                raise PermissionDenied(
                    _("Only the named reviewers and approvers can reject this revision.")
                )
            if not comment:
                raise DocumentError(
                    _("Say why you reject the revision, so the author can correct it.")
                )
        else:
            raise DocumentError(
                _("Choose what your signature means: reviewed, approved or rejected.")
            )
        signature = _record_signature(revision, signer, meaning, comment)
        if meaning == Signature.Meaning.REJECTED:
            _set_status(
                revision, "reject", f"rejected by {signature.printed_name}", review_comments=comment
            )
            notify(
                recipient=revision.author,
                key=f"doc-rejected:{revision.pk}:{revision.review_round}",
                subject=lambda: _("%(revision)s was returned to draft") % {"revision": revision},
                body=lambda: comment,
                url=revision.get_absolute_url(),
                actor=signer,
            )
        elif meaning == Signature.Meaning.APPROVED and approvers <= approved | {signer.pk}:
            _set_status(revision, "approve", "all approvers signed")
            if (revision.effective_date or timezone.localdate()) <= timezone.localdate():
                _make_effective(revision, actor=signer)
    return signature


def _record_signature(revision, signer, meaning, comment):
    signature = Signature(
        revision=revision,
        signer=signer,
        printed_name=signer.get_full_name() or signer.username,
        meaning=meaning,
        comment=comment,
        signed_at=timezone.now().replace(microsecond=0),  # a precision every store keeps
        review_round=revision.review_round,
        revision_fingerprint=revision.fingerprint(),
    )
    signature.digest = signature.compute_digest()
    signature._change_reason = f"signed: {meaning}"
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError as error:  # the same person signing twice at the same moment
        raise DocumentError(_("This signature has already been recorded.")) from error
    return signature


def _make_effective(revision, *, actor):
    """Put an approved revision in force and supersede the one before (one effective at a time)."""
    _require_transition(revision, "make_effective")
    document = Document.objects.select_for_update(of=("self",)).get(pk=revision.document_id)
    now = timezone.now()
    for previous in Revision.objects.select_for_update(of=("self",)).filter(
        document=document, status=Status.EFFECTIVE
    ):
        _set_status(
            previous, "supersede", f"superseded by revision {revision.label}", superseded_at=now
        )
    effective_date = revision.effective_date or timezone.localdate()
    _set_status(
        revision,
        "make_effective",
        "became effective",
        effective_at=now,
        effective_date=effective_date,
    )
    document.next_review_due = months_after(effective_date, document.review_period_months)
    document._change_reason = f"revision {revision.label} effective"
    document.save(update_fields=["next_review_due"])
    notify(
        recipient=document.owner,
        key=f"doc-effective:{revision.pk}",
        subject=lambda: _("%(revision)s is now effective") % {"revision": revision},
        url=document.get_absolute_url(),
        actor=actor,
    )


def make_due_revisions_effective(*, today=None, actor=None):
    """Make approved revisions whose effective date has come effective (daily task). Returns count."""
    today = today or timezone.localdate()
    count = 0
    due = Revision.objects.filter(status=Status.APPROVED, effective_date__lte=today).values_list(
        "pk", flat=True
    )
    for revision_id in list(due):
        with transaction.atomic():
            revision = _lock(revision_id)
            if revision.status == Status.APPROVED:  # another worker may have done it meanwhile
                _make_effective(revision, actor=actor)
                count += 1
    return count


def make_obsolete(*, document_id, actor, reason):
    """Withdraw a document (ISO 9001 7.5.3.2: obsolete documents stay retained, marked)."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(_("Give the reason the document is withdrawn."))
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).get(pk=document_id)
        if not can_manage(actor, document):
            raise PermissionDenied(
                _("Only the owner of %(number)s or a quality manager can make it obsolete.")
                % {"number": document.number}
            )
        if document.is_obsolete:
            raise DocumentError(_("%(number)s is already obsolete.") % {"number": document.number})
        for revision in Revision.objects.select_for_update(of=("self",)).filter(
            document=document, status__in=TRANSITIONS["make_obsolete"][0]
        ):
            _set_status(revision, "make_obsolete", f"document obsolete: {reason}")
        document.is_obsolete = True
        document.obsolete_reason = reason
        document.next_review_due = None
        document._change_reason = f"made obsolete: {reason}"
        document.save()
    return document


def confirm_periodic_review(*, document_id, actor, comment):
    """The owner confirms the document in force is still right; the next review is due a period later."""
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).get(pk=document_id)
        if not can_manage(actor, document):
            raise PermissionDenied(
                _("Only the owner of %(number)s or a quality manager can confirm its review.")
                % {"number": document.number}
            )
        if document.is_obsolete or not document.revisions.filter(status=Status.EFFECTIVE).exists():
            raise DocumentError(_("Only a document in force can be reviewed."))
        document.next_review_due = months_after(timezone.localdate(), document.review_period_months)
        document._change_reason = f"periodic review confirmed: {comment}"[:100]
        document.save(update_fields=["next_review_due"])
    return document


# Read and acknowledge ---------------------------------------------------------------------------


def assign_reading(*, revision_id, actor, people=(), departments=(), due_date=None):
    """Ask people (or everyone in departments) to read an effective revision. Returns new count."""
    with transaction.atomic():
        revision = _lock(revision_id)
        if not can_manage(actor, revision.document):
            raise PermissionDenied(_("Only the owner or a quality manager can assign reading."))
        if revision.status != Status.EFFECTIVE:
            raise DocumentError(_("Only the effective revision can be assigned for reading."))
        recipients = {p for p in people if p.is_active}
        recipients |= set(
            Person.objects.filter(
                is_active=True, memberships__department__in=departments
            ).distinct()
        )
        recipients = {p for p in recipients if p.agency_id == revision.document.agency_id}
        if not recipients:
            raise DocumentError(_("Choose at least one person or department of the agency."))
        created = 0
        for person in sorted(recipients, key=lambda p: p.pk):
            ack, is_new = Acknowledgement.objects.get_or_create(
                revision=revision,
                person=person,
                defaults={"assigned_by": actor, "due_date": due_date},
            )
            if is_new:
                created += 1
                notify(
                    recipient=person,
                    key=f"doc-read:{ack.pk}",
                    subject=lambda: (
                        _("Please read and acknowledge %(revision)s") % {"revision": revision}
                    ),
                    url=revision.document.get_absolute_url(),
                    actor=actor,
                )
    return created


def record_opened(*, revision, person):
    """Note when an assigned reader first opens the revision (kept in the acknowledgement's history)."""
    with transaction.atomic():
        ack = (
            Acknowledgement.objects.select_for_update(of=("self",))
            .filter(revision=revision, person=person, opened_at__isnull=True)
            .first()
        )
        if ack:
            ack.opened_at = timezone.now()
            ack._change_reason = "opened"
            ack.save(update_fields=["opened_at"])


def acknowledge(*, revision_id, person):
    """The person confirms they have read the revision (after opening it)."""
    with transaction.atomic():
        ack = (
            Acknowledgement.objects.select_for_update(of=("self",))
            .filter(revision_id=revision_id, person=person)
            .first()
        )
        if ack is None:
            raise DocumentError(_("You have not been asked to acknowledge this revision."))
        if ack.acknowledged_at:
            raise DocumentError(
                _("You acknowledged this revision on %(date)s.")
                % {"date": timezone.localtime(ack.acknowledged_at).strftime("%Y-%m-%d")}
            )
        if ack.revision.status != Status.EFFECTIVE:
            raise DocumentError(
                _("This revision is no longer in force; there is nothing to acknowledge.")
            )
        if not ack.opened_at:
            raise DocumentError(_("Open the document before confirming you have read it."))
        ack.acknowledged_at = timezone.now()
        ack._change_reason = "acknowledged"
        ack.save()
    return ack


def share_with_certifier(*, document, certifier, actor):
    """Let an external certifier see a document (evidence packs use this)."""
    if not (actor.is_quality_manager or actor.is_administrator):
        raise PermissionDenied(_("Only a quality manager can share documents with a certifier."))
    assign_perm("documents.view_document", certifier, document)
