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
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from guardian.shortcuts import assign_perm

from qms_portal import sequences, uploads
from qms_portal.errors import RuleError
from qms_portal.history_reasons import reason as history_reason
from qms_portal.organisation.models import Person
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import is_administrator_of, is_quality_manager_of
from qms_portal.signatures import record_signature
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access, renditions
from .models import (
    DEFAULT_PREFIXES,
    Acknowledgement,
    Confidentiality,
    Document,
    NumberingScheme,
    Revision,
    Signature,
    months_after,
)

Status = Revision.Status


class DocumentError(RuleError):
    """A rule of document control was broken; the message says what to do instead (409)."""


def _describe(revision):
    return _("Revision %(label)s of %(number)s") % {
        "label": revision.label,
        "number": revision.document.number,
    }


#: The revision's steps (ISO 9001 7.5.2 review and approval, 7.5.3 control). Steps without a
#: target keep the state; ``make_effective`` and ``supersede`` are taken by the portal itself.
REVISION_MACHINE = StateMachine(
    Transition(
        "edit",
        sources=[Status.DRAFT],
        target=None,
        label=pgettext_lazy("step", "edited"),
        allowed=access.can_edit_revision,
        refusal=gettext_lazy("Only staff of the owner department can edit this draft."),
    ),
    Transition(
        "submit",
        sources=[Status.DRAFT],
        target=Status.IN_REVIEW,
        label=pgettext_lazy("step", "submitted for review"),
        allowed=access.can_edit_revision,
        refusal=gettext_lazy("Only staff of the owner department can submit this revision."),
    ),
    Transition(
        "review",
        sources=[Status.IN_REVIEW],
        target=None,
        label=pgettext_lazy("step", "signed as reviewed"),
        allowed=access.can_review,
    ),
    Transition(
        "approve",
        sources=[Status.IN_REVIEW],
        target=Status.APPROVED,
        label=pgettext_lazy("step", "approved"),
        allowed=access.can_approve,
    ),
    Transition(
        "reject",
        sources=[Status.IN_REVIEW],
        target=Status.DRAFT,
        label=pgettext_lazy("step", "rejected"),
        allowed=access.can_reject,
    ),
    Transition(
        "make_effective",
        sources=[Status.APPROVED],
        target=Status.EFFECTIVE,
        label=pgettext_lazy("step", "made effective"),
    ),
    Transition(
        "supersede",
        sources=[Status.EFFECTIVE],
        target=Status.SUPERSEDED,
        label=pgettext_lazy("step", "superseded"),
    ),
    Transition(
        "make_obsolete",
        sources=[Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.EFFECTIVE],
        target=Status.OBSOLETE,
        label=pgettext_lazy("step", "made obsolete"),
        allowed=access.can_manage_revision,
    ),
    Transition(
        "assign_reading",
        sources=[Status.EFFECTIVE],
        target=None,
        label=pgettext_lazy("step", "assigned for reading"),
        allowed=access.can_manage_revision,
        refusal=gettext_lazy("Only the owner or a quality manager can assign reading."),
    ),
    Transition(
        "acknowledge",
        sources=[Status.EFFECTIVE],
        target=None,
        label=pgettext_lazy("step", "acknowledged"),
        allowed=access.can_acknowledge,
    ),
    model=Revision,
    tones={
        Status.IN_REVIEW: Tone.WARN,
        Status.APPROVED: Tone.WARN,
        Status.EFFECTIVE: Tone.OK,
        Status.OBSOLETE: Tone.BAD,
    },
    describe=_describe,
    error=DocumentError,
)

#: Steps of the revision page taken on the revision itself (the others are the portal's own, or
#: taken on the whole document: ``make_obsolete`` withdraws every revision at once).
PAGE_STEPS = ("edit", "submit", "review", "approve", "reject", "assign_reading", "acknowledge")
#: Which step a signature of each meaning takes.
STEP_OF_MEANING = {
    Signature.Meaning.REVIEWED: "review",
    Signature.Meaning.APPROVED: "approve",
    Signature.Meaning.REJECTED: "reject",
}


def available_steps(revision, person, *, document=None):
    """What the person may do on the revision page now: the revision's steps, and the document's
    own (``new_revision``, ``periodic_review``, ``make_obsolete``). ``revision`` may be ``None``
    when the person sees none of the document's revisions."""
    document = document or revision.document
    steps = []
    if revision is not None:
        steps = [
            name for name in REVISION_MACHINE.available(revision, person) if name in PAGE_STEPS
        ]
    if not document.is_obsolete:
        if access.can_edit(person, document) and not document.revisions.open().exists():
            steps.append("new_revision")
        if access.can_manage(person, document):
            if document.revisions.filter(status=Status.EFFECTIVE).exists():
                steps.append("periodic_review")
            steps.append("make_obsolete")
    return steps


# Numbering --------------------------------------------------------------------------------------


def scheme_for(agency, doc_type):
    scheme, _created = NumberingScheme.objects.get_or_create(
        agency=agency, doc_type=doc_type, defaults={"prefix": DEFAULT_PREFIXES[doc_type]}
    )
    return scheme


def next_number(*, agency, doc_type, department):
    """Take the next free number (e.g. PRO-FIN-003) from the agency's sequence of that prefix and
    department (and year, when the format shows one); only that sequence row is locked."""
    scheme = scheme_for(agency, doc_type)
    year = timezone.localdate().year

    def number_of(value):
        return scheme.number_format.format(
            prefix=scheme.prefix, department=department.code, sequence=value, year=year
        )

    value = sequences.next_value(
        agency,
        f"{scheme.prefix}-{department.code}",
        year if "{year" in scheme.number_format else 0,
        is_taken=lambda value: Document.objects.filter(number=number_of(value)).exists(),
    )
    return number_of(value), scheme


# Files ------------------------------------------------------------------------------------------


def check_file(upload, agency):
    """Validate an upload before anything is written (raises ValidationError with the reason)."""
    return uploads.check_upload(upload, folder=f"documents/{agency.code}")


def _store_file(revision, checked):
    revision.storage_name = checked.storage_name
    revision.original_filename = checked.display_name
    revision.file_kind = checked.kind.code
    revision.file_size = checked.size
    revision.sha256 = checked.sha256
    revision.file.save(checked.storage_name, checked.content, save=False)


def _queue_file_work(revision):
    """Queue the work a new file needs: its text for search and, for DOCX, XLSX and ODT, the PDF
    rendition readers download (made before anyone can download the effective copy)."""
    from qms_portal import outbox

    outbox.enqueue("documents.tasks.extract_revision_text", revision.pk)
    renditions.request(revision)


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
    if not access.can_create_in(actor, owner_department):
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
        save_with_history(document, actor=actor, reason=gettext_noop("registered"))
        if confidentiality == Confidentiality.RESTRICTED:
            document.restricted_to.set(restricted_to)
        revision = Revision(
            document=document, label=label, change_summary=change_summary, author=actor
        )
        _store_file(revision, checked)
        save_with_history(revision, actor=actor, reason=gettext_noop("first draft"))
        _queue_file_work(revision)
    return document


def _next_label(document):
    labels = list(document.revisions.values_list("label", flat=True))
    letters = [label for label in labels if len(label) == 1 and label.isalpha()]
    if letters and len(letters) == len(labels):
        last = max(letters)
        return chr(ord(last) + 1) if last < "Z" else str(len(labels) + 1)
    return str(len(labels) + 1)


def _lock_document(document_id):
    return Document.objects.select_for_update(of=("self",)).get(pk=document_id)


def start_revision(*, document, actor, change_summary, upload, label=None):
    """Start the next revision of a document as a draft (only one open revision at a time)."""
    if not access.can_edit(actor, document):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can revise %(number)s.")
            % {"department": document.owner_department.name, "number": document.number}
        )
    checked = check_file(upload, document.agency)
    with uploads.removing_on_failure(checked), transaction.atomic():
        document = _lock_document(document.pk)
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
        _store_file(revision, checked)
        save_with_history(revision, actor=actor, reason=gettext_noop("new draft"))
        _queue_file_work(revision)
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
    if not access.can_edit_revision(actor, revision):
        raise PermissionDenied(REVISION_MACHINE["edit"].refusal)
    if upload is not None:
        checked = check_file(upload, revision.document.agency)
    with uploads.removing_on_failure(checked), transaction.atomic():
        revision = _lock(revision_id)
        REVISION_MACHINE.require(revision, "edit")
        revision.change_summary = change_summary
        if checked:
            _store_file(revision, checked)
            revision.extracted_text = ""
        REVISION_MACHINE.move(revision, "edit", actor=actor, reason=gettext_noop("draft edited"))
        if checked:  # the earlier draft file is kept: history rows point to it
            _queue_file_work(revision)
    return revision


def _check_signers(revision, reviewers, approvers, effective_date):
    document = revision.document
    if not approvers:
        raise DocumentError(_("Name at least one approver."))
    if revision.author in approvers:
        raise DocumentError(_("The author of a revision cannot approve it; name another approver."))
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


def submit_for_review(*, revision_id, actor, reviewers, approvers, effective_date=None):
    """Send a draft to its named reviewers and approvers (ISO 9001 7.5.2 c)."""
    reviewers, approvers = list(reviewers), list(approvers)
    with transaction.atomic():
        revision = _lock(revision_id)
        REVISION_MACHINE.require(revision, "submit", actor)
        _check_signers(revision, reviewers, approvers, effective_date)
        revision.reviewers.set(reviewers)
        revision.approvers.set(approvers)
        REVISION_MACHINE.move(
            revision,
            "submit",
            actor=actor,
            reason=gettext_noop("submitted for review"),
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


def _check_signature(revision, signer, meaning, comment):
    """Who may sign with this meaning (403), and whether the round allows it now (409)."""
    reviewers = set(revision.reviewers.values_list("pk", flat=True))
    approvers = set(revision.approvers.values_list("pk", flat=True))
    reviewed = _signed(revision, Signature.Meaning.REVIEWED)
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
        if signer.pk in _signed(revision, Signature.Meaning.APPROVED):
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
            raise DocumentError(_("Say why you reject the revision, so the author can correct it."))
    return approvers


def sign(*, revision_id, signer, password, meaning, comment=""):
    """Sign a revision in review: reviewed, approved or rejected (with a comment).

    The signer re-enters their password; the signature records the printed name, time and meaning,
    bound to the revision's fingerprint. The last approval makes the revision approved, and
    effective at once when its effective date has come.
    """
    comment = (comment or "").strip()
    step = STEP_OF_MEANING.get(meaning)
    with transaction.atomic():
        revision = _lock(revision_id)
        if not REVISION_MACHINE.state_allows(revision, "review"):
            raise DocumentError(
                _("Revision %(label)s of %(number)s is %(status)s; there is nothing to sign.")
                % {
                    "label": revision.label,
                    "number": revision.document.number,
                    "status": revision.get_status_display().lower(),
                }
            )
        if step is None:
            raise DocumentError(
                _("Choose what your signature means: reviewed, approved or rejected.")
            )
        approvers = _check_signature(revision, signer, meaning, comment)
        signature = record_signature(
            Signature,
            signer=signer,
            meaning=meaning,
            duplicate=_("This signature has already been recorded."),
            error=DocumentError,
            password=password,
            wrong_password=_("The password is not correct; the revision was not signed."),
            revision=revision,
            comment=comment,
            review_round=revision.review_round,
            revision_fingerprint=revision.fingerprint(),
        )
        if step == "reject":
            _return_to_draft(revision, signature)
        elif step == "approve" and approvers <= _signed(revision, Signature.Meaning.APPROVED):
            REVISION_MACHINE.move(
                revision, "approve", actor=signer, reason=gettext_noop("all approvers signed")
            )
            if (revision.effective_date or timezone.localdate()) <= timezone.localdate():
                _make_effective(revision, actor=signer)
    return signature


def _return_to_draft(revision, signature):
    REVISION_MACHINE.move(
        revision,
        "reject",
        actor=signature.signer,
        reason=history_reason(gettext_noop("rejected by"), signature.printed_name),
        review_comments=signature.comment,
    )
    notify(
        recipient=revision.author,
        key=f"doc-rejected:{revision.pk}:{revision.review_round}",
        subject=lambda: _("%(revision)s was returned to draft") % {"revision": revision},
        body=lambda: signature.comment,
        url=revision.get_absolute_url(),
        actor=signature.signer,
    )


def _make_effective(revision, *, actor):
    """Put an approved revision in force and supersede the one before (one effective at a time)."""
    REVISION_MACHINE.require(revision, "make_effective")
    document = _lock_document(revision.document_id)
    now = timezone.now()
    for previous in Revision.objects.select_for_update(of=("self",)).filter(
        document=document, status=Status.EFFECTIVE
    ):
        REVISION_MACHINE.move(
            previous,
            "supersede",
            actor=actor,
            reason=history_reason(gettext_noop("superseded by revision"), revision.label),
            superseded_at=now,
        )
    effective_date = revision.effective_date or timezone.localdate()
    REVISION_MACHINE.move(
        revision,
        "make_effective",
        actor=actor,
        reason=gettext_noop("became effective"),
        effective_at=now,
        effective_date=effective_date,
    )
    document.next_review_due = months_after(effective_date, document.review_period_months)
    save_with_history(
        document,
        actor=actor,
        reason=history_reason(gettext_noop("revision effective"), revision.label),
        update_fields=["next_review_due"],
    )
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
            # another worker may have done it meanwhile
            if REVISION_MACHINE.state_allows(revision, "make_effective"):
                _make_effective(revision, actor=actor)
                count += 1
    return count


def make_obsolete(*, document_id, actor, reason):
    """Withdraw a document (ISO 9001 7.5.3.2: obsolete documents stay retained, marked)."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(_("Give the reason the document is withdrawn."))
    with transaction.atomic():
        document = _lock_document(document_id)
        if not access.can_manage(actor, document):
            raise PermissionDenied(
                _("Only the owner of %(number)s or a quality manager can make it obsolete.")
                % {"number": document.number}
            )
        if document.is_obsolete:
            raise DocumentError(_("%(number)s is already obsolete.") % {"number": document.number})
        for revision in Revision.objects.select_for_update(of=("self",)).filter(
            document=document, status__in=REVISION_MACHINE["make_obsolete"].sources
        ):
            REVISION_MACHINE.move(
                revision,
                "make_obsolete",
                actor=actor,
                reason=history_reason(gettext_noop("document obsolete"), reason),
            )
        document.is_obsolete = True
        document.obsolete_reason = reason
        document.next_review_due = None
        save_with_history(
            document, actor=actor, reason=history_reason(gettext_noop("made obsolete"), reason)
        )
    return document


def confirm_periodic_review(*, document_id, actor, comment):
    """The owner confirms the document in force is still right; the next review is due a period later."""
    with transaction.atomic():
        document = _lock_document(document_id)
        if not access.can_manage(actor, document):
            raise PermissionDenied(
                _("Only the owner of %(number)s or a quality manager can confirm its review.")
                % {"number": document.number}
            )
        if document.is_obsolete or not document.revisions.filter(status=Status.EFFECTIVE).exists():
            raise DocumentError(_("Only a document in force can be reviewed."))
        document.next_review_due = months_after(timezone.localdate(), document.review_period_months)
        save_with_history(
            document,
            actor=actor,
            reason=history_reason(gettext_noop("periodic review confirmed"), comment),
            update_fields=["next_review_due"],
        )
    return document


# Read and acknowledge ---------------------------------------------------------------------------


def _readers(revision, people, departments):
    recipients = {p for p in people if p.is_active}
    recipients |= set(
        Person.objects.filter(is_active=True, memberships__department__in=departments).distinct()
    )
    return sorted(
        (p for p in recipients if p.agency_id == revision.document.agency_id), key=lambda p: p.pk
    )


def assign_reading(*, revision_id, actor, people=(), departments=(), due_date=None):
    """Ask people (or everyone in departments) to read an effective revision. Returns new count."""
    with transaction.atomic():
        revision = _lock(revision_id)
        if not access.can_manage_revision(actor, revision):
            raise PermissionDenied(REVISION_MACHINE["assign_reading"].refusal)
        if not REVISION_MACHINE.state_allows(revision, "assign_reading"):
            raise DocumentError(_("Only the effective revision can be assigned for reading."))
        recipients = _readers(revision, people, departments)
        if not recipients:
            raise DocumentError(_("Choose at least one person or department of the agency."))
        created = 0
        for person in recipients:
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
            save_with_history(
                ack, actor=person, reason=gettext_noop("opened"), update_fields=["opened_at"]
            )


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
        if not REVISION_MACHINE.state_allows(ack.revision, "acknowledge"):
            raise DocumentError(
                _("This revision is no longer in force; there is nothing to acknowledge.")
            )
        if not ack.opened_at:
            raise DocumentError(_("Open the document before confirming you have read it."))
        ack.acknowledged_at = timezone.now()
        save_with_history(ack, actor=person, reason=gettext_noop("acknowledged"))
    return ack


def share_with_certifier(*, document, certifier, actor):
    """Let an external certifier see a document (evidence packs use this)."""
    if not (
        is_quality_manager_of(actor, document.agency_id)
        or is_administrator_of(actor, document.agency_id)
    ):
        raise PermissionDenied(_("Only a quality manager can share documents with a certifier."))
    assign_perm("documents.view_document", certifier, document)
