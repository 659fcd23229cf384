"""Pages of internal audits: programmes, coverage, audits, checklists, report signatures, PDF.

Thin: each parses the request, calls a query or workflow, renders. The small helpers at the top
(a broken rule becomes a form error or a refusal page) are used by the CAPA and review pages too.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qms_portal.errors import apply_rule, refused

from . import access, coverage, forms, pdf, workflow
from .models import Audit, AuditProgramme, Evidence, ReportSignature

PAGE_SIZE = 25
BAD_REQUEST = 400

#: A broken rule becomes a form error (the kernel's one helper; the name is kept for the CAPA and
#: review pages until the merge).


def _form_page(request, template, context, form):
    return render(request, template, context, status=BAD_REQUEST if form.errors else 200)


def _refused(request, error, back):
    """The refusal page (400, the audits sub-navigation) for an error or a message."""
    return refused(
        request, error, back=back, status=BAD_REQUEST, context={"subnav": "audits/_subnav.html"}
    )


def _agency_id(request):
    return request.user.agency_id


# --- Programmes, coverage and audits -------------------------------------------------------


@login_required
def programme_list(request):
    programmes = (
        AuditProgramme.objects.visible_to(request.user)
        .annotate(
            audit_count=Count("audits"),
            closed_count=Count("audits", filter=Q(audits__status=Audit.Status.CLOSED)),
        )
        .order_by("-year")
    )
    if request.user.is_certifier:
        raise Http404(_("Audit programmes are internal."))
    return render(
        request,
        "auditing/programme_list.html",
        {
            "programmes": programmes,
            "can_plan": access.can_plan(request.user, _agency_id(request)),
        },
    )


@login_required
def programme_create(request):
    access.require_quality_manager(
        request.user, _agency_id(request), _("set up the audit programme")
    )
    form = forms.ProgrammeForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        programme = apply_rule(
            form,
            lambda: workflow.programme_create(
                actor=request.user, agency=request.user.agency, **form.cleaned_data
            ),
        )
        if programme:
            return redirect(programme)
    return _form_page(
        request, "audits/form.html", {"form": form, "title": _("New audit programme")}, form
    )


@login_required
def programme_detail(request, pk):
    programme = access.get_programme_for(request.user, pk)
    matrix = coverage.programme_coverage(programme)
    return render(
        request,
        "auditing/programme_detail.html",
        {
            "programme": programme,
            "matrix": matrix,
            "steps": workflow.programme_steps(programme, request.user),
        },
    )


@login_required
def audit_create(request, pk):
    programme = access.get_programme_for(request.user, pk, to="plan")
    form = forms.AuditForm(request.POST or None, agency_id=programme.agency_id)
    if request.method == "POST" and form.is_valid():
        audit = apply_rule(
            form,
            lambda: workflow.audit_plan(
                actor=request.user, programme=programme, **form.cleaned_data
            ),
        )
        if audit:
            messages.success(request, _("Audit %(ref)s planned.") % {"ref": audit.reference})
            return redirect(audit)
    context = {"form": form, "title": _("Plan an audit in %(p)s") % {"p": programme}}
    return _form_page(request, "audits/form.html", context, form)


@login_required
def audit_list(request):
    form = forms.AuditFilterForm(request.GET or None)
    audits = Audit.objects.visible_to(request.user).select_related("department", "lead_auditor")
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("status"):
        audits = audits.filter(status=data["status"])
    if data.get("department"):
        audits = audits.filter(department_id=data["department"])
    if data.get("start") and data.get("end"):
        audits = audits.in_period(data["start"], data["end"])
    if data.get("clause"):
        number = data["clause"]
        audits = audits.filter(
            Q(clauses__number=number)
            | Q(clauses__number__startswith=number + ".")
            | Q(clauses__number__in=_ancestors(number))
        ).distinct()
    page = Paginator(audits.order_by("-planned_start", "reference"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "auditing/audit_list.html", {"filter_form": form, "page": page, **_query(request)}
    )


def _ancestors(number):
    parts = number.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _query(request):
    query = request.GET.copy()
    query.pop("page", None)
    return {"query_string": query.urlencode()}


@login_required
def audit_detail(request, pk):
    audit = access.get_audit_for(request.user, pk)
    items = audit.checklist.select_related("clause", "process", "nonconformity").prefetch_related(
        "attachments"
    )
    return render(
        request,
        "auditing/audit_detail.html",
        {
            "audit": audit,
            "items": items,
            "steps": workflow.available_steps(audit, request.user),
            "team": audit.team.all(),
            "auditees": audit.auditees.all(),
            "processes": audit.processes.all(),
            "clauses": audit.clauses.all(),
            "signatures": audit.signatures.all(),
            "nonconformities": audit.nonconformities.all(),
            "result_form": forms.ChecklistResultForm(),
            "add_form": forms.ChecklistAddForm(),
            "report_form": forms.ReportForm(initial={"summary": audit.summary}),
            "password_field": forms.SignForm()["password"],
            "sign_steps": [
                (meaning, step, ReportSignature.Meaning(meaning).label)
                for meaning, step in workflow.SIGN_STEPS.items()
            ],
            "history": audit.history.select_related("history_user")[:10],
        },
    )


def _audit_step(request, pk, to, call):
    audit = access.get_audit_for(request.user, pk, to=to)
    try:
        call(audit)
    except workflow.AuditRuleError as error:
        return _refused(request, error, audit.get_absolute_url())
    return redirect(audit)


@login_required
@require_POST
def audit_start(request, pk):
    return _audit_step(
        request, pk, "run", lambda a: workflow.audit_start(audit=a, actor=request.user)
    )


@login_required
@require_POST
def audit_report(request, pk):
    form = forms.ReportForm(request.POST)
    summary = form.data.get("summary", "")
    return _audit_step(
        request,
        pk,
        "run",
        lambda a: workflow.audit_report(audit=a, actor=request.user, summary=summary),
    )


@login_required
@require_POST
def audit_close(request, pk):
    return _audit_step(
        request, pk, "run", lambda a: workflow.audit_close(audit=a, actor=request.user)
    )


@login_required
@require_POST
def audit_sign(request, pk):
    form = forms.SignForm(request.POST)
    if not form.is_valid():
        audit = access.get_audit_for(request.user, pk)
        return _refused(
            request, _("Choose what you sign as and enter your password."), audit.get_absolute_url()
        )
    return _audit_step(
        request,
        pk,
        "view",
        lambda a: workflow.audit_sign(audit=a, signer=request.user, **form.cleaned_data),
    )


@login_required
@require_POST
def checklist_generate(request, pk):
    return _audit_step(
        request, pk, "work", lambda a: workflow.checklist_generate(audit=a, actor=request.user)
    )


@login_required
@require_POST
def checklist_add(request, pk):
    form = forms.ChecklistAddForm(request.POST)
    question = form.data.get("question", "")
    return _audit_step(
        request,
        pk,
        "work",
        lambda a: workflow.checklist_add(audit=a, actor=request.user, question=question),
    )


@login_required
@require_POST
def checklist_remove(request, pk):
    item = access.get_item_for(request.user, pk, to="work")
    try:
        workflow.checklist_remove(item=item, actor=request.user)
    except workflow.AuditRuleError as error:
        return _refused(request, error, item.audit.get_absolute_url())
    return redirect(item.audit)


@login_required
@require_POST
def checklist_record(request, pk):
    item = access.get_item_for(request.user, pk, to="work")
    form = forms.ChecklistResultForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _refused(request, errors, item.audit.get_absolute_url())
    try:
        workflow.checklist_record(
            item=item,
            actor=request.user,
            result=form.cleaned_data["result"],
            evidence=form.cleaned_data["evidence"],
            upload=form.cleaned_data["attachment"],
            reason=form.cleaned_data["reason"],
        )
    except workflow.AuditRuleError as error:
        return _refused(request, error, item.audit.get_absolute_url())
    return redirect(item.audit.get_absolute_url() + f"#item-{item.pk}")


@login_required
def evidence_download(request, pk):
    evidence = Evidence.objects.select_related("item").filter(pk=pk).first()
    if evidence is None:
        raise Http404(_("No such file."))
    access.get_audit_for(request.user, evidence.item.audit_id)
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.original_filename
    )


@login_required
def audit_report_pdf(request, pk):
    audit = access.get_audit_for(request.user, pk)
    response = HttpResponse(pdf.audit_report_pdf(audit), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{audit.reference}.pdf"'
    return response
