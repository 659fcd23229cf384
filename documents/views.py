from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms_portal.csv_export import csv_response
from qms_portal.errors import message_of, status_of

from . import access, downloads, workflow
from .forms import (
    AssignReadingForm,
    DocumentForm,
    DraftForm,
    ObsoleteForm,
    PeriodicReviewForm,
    RegisterFilterForm,
    RevisionForm,
    SignForm,
    SubmitForm,
)
from .models import Document, Revision

PAGE_SIZE = 25


def _register_queryset(request):
    form = RegisterFilterForm(request.GET or None, person=request.user)
    documents = Document.objects.visible_to(request.user).with_register_columns()
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            documents = documents.search(data["q"], person=request.user)
        if data["department"]:
            documents = documents.filter(owner_department=data["department"])
        if data["doc_type"]:
            documents = documents.filter(doc_type=data["doc_type"])
        if data["status"]:
            documents = documents.with_status(data["status"])
        if data["owner"]:
            documents = documents.filter(owner=data["owner"])
        if data["due"]:
            documents = documents.overdue_for_review()
        if data["waiting"]:
            documents = documents.waiting_for(request.user, data["waiting"])
        documents = documents.order_by(RegisterFilterForm.SORTS.get(data["sort"] or "number"), "pk")
    else:
        documents = documents.order_by("number")
    return form, documents


@login_required
def register(request):
    """The document register (ISO 9001 7.5.3): filters, search, sorting, pages, CSV export."""
    form, documents = _register_queryset(request)
    if request.GET.get("export") == "csv":
        return _register_csv(documents)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    for document in page:
        status = document.register_status
        document.status_label = Revision.Status(status).label if status else None
        document.status_tone = workflow.REVISION_MACHINE.tone(status)
    return render(
        request,
        "documents/register.html",
        {
            "form": form,
            "page": page,
            "today": timezone.localdate(),
            "can_create": access.can_create(request.user),
        },
    )


REGISTER_HEADER = [
    gettext_lazy("number"),
    gettext_lazy("title"),
    gettext_lazy("type"),
    gettext_lazy("owner department"),
    gettext_lazy("owner"),
    gettext_lazy("confidentiality"),
    gettext_lazy("current revision"),
    gettext_lazy("status"),
    gettext_lazy("effective since"),
    gettext_lazy("next review due"),
]


def _register_csv(documents):
    """The filtered register as CSV (formula-safe cells: a title may be ``=HYPERLINK(…)``)."""
    rows = (
        [
            d.number,
            d.title,
            d.get_doc_type_display(),
            d.owner_department.code,
            d.owner.display_name,
            d.get_confidentiality_display(),
            d.effective_label,
            d.register_status,
            d.effective_since,
            d.next_review_due,
        ]
        for d in documents.iterator(chunk_size=2000)
    )
    return csv_response("document-register.csv", REGISTER_HEADER, rows)


@login_required
def create(request):
    if not access.can_create(request.user):
        raise PermissionDenied(_("Only agency staff with a department can register documents."))
    form = DocumentForm(request.POST or None, request.FILES or None, person=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = workflow.create_document(
                actor=request.user,
                title=data["title"],
                doc_type=data["doc_type"],
                owner_department=data["owner_department"],
                owner=data["owner"],
                upload=data["file"],
                change_summary=data["change_summary"],
                confidentiality=data["confidentiality"],
                restricted_to=data["restricted_to"],
                review_period_months=data["review_period_months"],
                retention_years=data["retention_years"],
            )
        except (ValidationError, workflow.DocumentError) as error:
            form.add_error(
                "file" if isinstance(error, ValidationError) else None, message_of(error)
            )
        else:
            messages.success(
                request, _("%(number)s registered as a draft.") % {"number": document.number}
            )
            return redirect(document)
    status = 400 if request.method == "POST" else 200
    return render(request, "documents/create.html", {"form": form}, status=status)


@login_required
def detail(request, pk):
    document = access.get_document_for(request.user, pk)
    shown = access.revisions_shown_to(request.user, document)
    current = next((r for r in shown if r.is_effective), None)
    focus = next((r for r in shown if r.status in Revision.OPEN_STATUSES), None) or current
    if focus is None and shown:
        focus = shown[0]
    return _revision_page(request, document, focus, shown)


@login_required
def revision_detail(request, pk, revision_pk):
    revision = access.get_revision_for(request.user, pk, revision_pk)
    document = revision.document
    revisions = access.revisions_shown_to(request.user, document)
    return _revision_page(request, document, revision, revisions)


def _revision_page(request, document, revision, revisions, *, forms=None, error=None, status=200):
    person = request.user
    steps = workflow.available_steps(revision, person, document=document)
    context = {
        "document": document,
        "revision": revision,
        "revisions": revisions,
        "steps": steps,
        "action_error": error,
        "today": timezone.localdate(),
        "processes": document.processes.visible_to(person).order_by("code"),
    }
    if revision is not None:
        # Through the revision's own manager, every signature shares ``revision`` (and its cached
        # history fingerprints): one history query for the page, not one per signature.
        signatures = list(revision.signatures.order_by("signed_at"))
        acknowledgements = list(
            revision.acknowledgements.select_related("person").order_by(
                "acknowledged_at", "person__last_name"
            )
        )
        my_ack = next((a for a in acknowledgements if a.person_id == person.pk), None)
        context.update(
            {
                "downloads": downloads.downloads_offered(person, revision),
                "signatures": signatures,
                "reviewers": revision.reviewers.all(),
                "approvers": revision.approvers.all(),
                "acknowledgements": acknowledgements,
                "acknowledged_count": sum(1 for a in acknowledgements if a.acknowledged_at),
                "my_acknowledgement": my_ack,
                "sign_form": SignForm(
                    meanings=[
                        meaning
                        for meaning, step in workflow.STEP_OF_MEANING.items()
                        if step in steps
                    ]
                ),
                "submit_form": SubmitForm(document=document),
                "draft_form": DraftForm(initial={"change_summary": revision.change_summary}),
                "assign_form": AssignReadingForm(document=document),
            }
        )
    context.update(
        {
            "revision_form": RevisionForm(),
            "obsolete_form": ObsoleteForm(),
            "review_form": PeriodicReviewForm(),
        }
    )
    context.update(forms or {})
    return render(request, "documents/detail.html", context, status=status)


def _action_failed(request, revision, error, forms=None):
    """Show the revision page again with the reason, as a 4xx (409: the state forbids it)."""
    document = revision.document
    revisions = access.revisions_shown_to(request.user, document)
    return _revision_page(
        request,
        document,
        revision,
        revisions,
        forms=forms,
        error=message_of(error) if error else None,
        status=status_of(error) if error else 400,
    )


@login_required
@require_POST
def revision_new(request, pk):
    document = access.get_document_for(request.user, pk, to="edit")
    form = RevisionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            revision = workflow.start_revision(
                document=document,
                actor=request.user,
                change_summary=form.cleaned_data["change_summary"],
                upload=form.cleaned_data["file"],
                label=form.cleaned_data["label"] or None,
            )
        except (ValidationError, workflow.DocumentError) as error:
            form.add_error(None, message_of(error))
            refusal = error if isinstance(error, workflow.DocumentError) else None
        else:
            messages.success(
                request, _("Revision %(label)s started as a draft.") % {"label": revision.label}
            )
            return redirect(revision)
    else:
        refusal = None
    latest = document.revisions.order_by("-created_at").first()
    return (
        _action_failed(request, latest, refusal, forms={"revision_form": form})
        if latest
        else redirect(document)
    )


def _post_on_revision(
    request, pk, revision_pk, form_class, action, success, form_name, *, allowed=None, **form_kwargs
):
    revision = access.get_revision_for(request.user, pk, revision_pk)
    if allowed is not None:
        allowed(request.user, revision)  # who may act is checked before what they sent
    form = form_class(request.POST, request.FILES, **form_kwargs)
    if not form.is_valid():
        return _action_failed(request, revision, None, forms={form_name: form})
    try:
        action(revision, form.cleaned_data)
    except (ValidationError, workflow.DocumentError) as error:
        form.add_error(None, message_of(error))
        return _action_failed(request, revision, error, forms={form_name: form})
    messages.success(request, success)
    return redirect(revision)


@login_required
@require_POST
def revision_edit(request, pk, revision_pk):
    return _post_on_revision(
        request,
        pk,
        revision_pk,
        DraftForm,
        lambda r, d: workflow.update_draft(
            revision_id=r.pk,
            actor=request.user,
            change_summary=d["change_summary"],
            upload=d["file"],
        ),
        _("Draft saved."),
        "draft_form",
        allowed=access.require_editor,
    )


@login_required
@require_POST
def revision_submit(request, pk, revision_pk):
    document = access.get_document_for(request.user, pk)
    return _post_on_revision(
        request,
        pk,
        revision_pk,
        SubmitForm,
        lambda r, d: workflow.submit_for_review(
            revision_id=r.pk,
            actor=request.user,
            reviewers=d["reviewers"],
            approvers=d["approvers"],
            effective_date=d["effective_date"],
        ),
        _("Submitted for review. The reviewers and approvers have been notified."),
        "submit_form",
        allowed=access.require_editor,
        document=document,
    )


@login_required
@require_POST
def revision_sign(request, pk, revision_pk):
    return _post_on_revision(
        request,
        pk,
        revision_pk,
        SignForm,
        lambda r, d: workflow.sign(
            revision_id=r.pk,
            signer=request.user,
            password=d["password"],
            meaning=d["meaning"],
            comment=d["comment"],
        ),
        _("Your signature has been recorded."),
        "sign_form",
        allowed=access.require_named_signer,
    )


@login_required
@require_POST
def revision_assign(request, pk, revision_pk):
    document = access.get_document_for(request.user, pk, to="manage")
    return _post_on_revision(
        request,
        pk,
        revision_pk,
        AssignReadingForm,
        lambda r, d: workflow.assign_reading(
            revision_id=r.pk,
            actor=request.user,
            people=d["people"],
            departments=d["departments"],
            due_date=d["due_date"],
        ),
        _("Reading assigned."),
        "assign_form",
        document=document,
    )


@login_required
@require_POST
def revision_acknowledge(request, pk, revision_pk):
    revision = access.get_revision_for(request.user, pk, revision_pk)
    try:
        workflow.acknowledge(revision_id=revision.pk, person=request.user)
    except workflow.DocumentError as error:
        return _action_failed(request, revision, error)
    messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect(revision)


@login_required
@require_POST
def obsolete(request, pk):
    document = access.get_document_for(request.user, pk, to="manage")
    form = ObsoleteForm(request.POST)
    if form.is_valid():
        try:
            workflow.make_obsolete(
                document_id=document.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except workflow.DocumentError as error:
            return _action_failed(
                request, document.revisions.order_by("-created_at").first(), error
            )
        messages.success(request, _("%(number)s is now obsolete.") % {"number": document.number})
        return redirect(document)
    return _action_failed(
        request,
        document.revisions.order_by("-created_at").first(),
        None,
        forms={"obsolete_form": form},
    )


@login_required
@require_POST
def periodic_review(request, pk):
    document = access.get_document_for(request.user, pk, to="manage")
    form = PeriodicReviewForm(request.POST)
    latest = document.revisions.order_by("-created_at").first()
    if not form.is_valid():
        return _action_failed(request, latest, None, forms={"review_form": form})
    try:
        workflow.confirm_periodic_review(
            document_id=document.pk, actor=request.user, comment=form.cleaned_data["comment"]
        )
    except workflow.DocumentError as error:
        return _action_failed(request, latest, error)
    messages.success(
        request,
        _("Review recorded. The next review is due in %(months)d months.")
        % {"months": document.review_period_months},
    )
    return redirect(document)


@login_required
def download(request, pk, revision_pk):
    """Serve a revision's file after checking who asks and that its bytes are unchanged
    (``?original=1``: a DOCX, XLSX or ODT revision's own file, for its editors)."""
    revision = access.get_revision_for(request.user, pk, revision_pk)
    return downloads.serve_revision(request, revision, original=request.GET.get("original") == "1")
