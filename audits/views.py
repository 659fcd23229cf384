"""Pages of the audits app: thin; each parses the request, calls a query or workflow, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, coverage, dashboard, forms, pdf, workflow
from .models import Action, Audit, AuditProgramme, Evidence, ManagementReview, Nonconformity

PAGE_SIZE = 25
BAD_REQUEST = 400


def _call(form, call):
    """Run a workflow call; a broken rule becomes a form error. Returns the result or None."""
    try:
        return call()
    except workflow.AuditRuleError as error:
        form.add_error(None, str(error))
        return None


def _form_page(request, template, context, form):
    return render(request, template, context, status=BAD_REQUEST if form.errors else 200)


def _refused(request, message, back):
    return render(
        request, "audits/refused.html", {"message": message, "back": back}, status=BAD_REQUEST
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
        "audits/programme_list.html",
        {
            "programmes": programmes,
            "can_plan": workflow.is_quality_manager_of(request.user, _agency_id(request)),
        },
    )


@login_required
def programme_create(request):
    workflow.require_quality_manager(
        request.user, _agency_id(request), _("set up the audit programme")
    )
    form = forms.ProgrammeForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        programme = _call(
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
        "audits/programme_detail.html",
        {
            "programme": programme,
            "matrix": matrix,
            "can_plan": workflow.is_quality_manager_of(request.user, programme.agency_id),
        },
    )


@login_required
def audit_create(request, pk):
    programme = access.get_programme_for(request.user, pk, to="plan")
    form = forms.AuditForm(request.POST or None, agency_id=programme.agency_id)
    if request.method == "POST" and form.is_valid():
        audit = _call(
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
        request, "audits/audit_list.html", {"filter_form": form, "page": page, **_query(request)}
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
    user = request.user
    items = audit.checklist.select_related("clause", "process", "nonconformity").prefetch_related(
        "attachments"
    )
    can_work = workflow.is_audit_team(user, audit) or workflow.is_quality_manager_of(
        user, audit.agency_id
    )
    return render(
        request,
        "audits/audit_detail.html",
        {
            "audit": audit,
            "items": items,
            "team": audit.team.all(),
            "auditees": audit.auditees.all(),
            "processes": audit.processes.all(),
            "clauses": audit.clauses.all(),
            "signatures": audit.signatures.all(),
            "nonconformities": audit.nonconformities.all(),
            "can_run": workflow.can_run_audit(user, audit),
            "can_work": can_work,
            "result_form": forms.ChecklistResultForm(),
            "add_form": forms.ChecklistAddForm(),
            "report_form": forms.ReportForm(initial={"summary": audit.summary}),
            "sign_form": forms.SignForm(),
            "history": audit.history.select_related("history_user")[:10],
        },
    )


def _audit_step(request, pk, to, call):
    audit = access.get_audit_for(request.user, pk, to=to)
    try:
        call(audit)
    except workflow.AuditRuleError as error:
        return _refused(request, str(error), audit.get_absolute_url())
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
        return _refused(request, str(error), item.audit.get_absolute_url())
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
        )
    except workflow.AuditRuleError as error:
        return _refused(request, str(error), item.audit.get_absolute_url())
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


# --- Nonconformities -----------------------------------------------------------------------


@login_required
def nc_list(request):
    form = forms.NcFilterForm(request.GET or None)
    ncs = Nonconformity.objects.visible_to(request.user).select_related(
        "department", "process", "owner"
    )
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    if status == "open":
        ncs = ncs.open()
    elif status:
        ncs = ncs.filter(status=status)
    for name in ("severity", "source"):
        if data.get(name):
            ncs = ncs.filter(**{name: data[name]})
    if data.get("department"):
        ncs = ncs.filter(department_id=data["department"])
    if data.get("process"):
        ncs = ncs.filter(process_id=data["process"])
    if data.get("raised_from"):
        ncs = ncs.filter(raised_at__date__gte=data["raised_from"])
    if data.get("raised_to"):
        ncs = ncs.filter(raised_at__date__lte=data["raised_to"])
    page = Paginator(ncs.order_by("-raised_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audits/nc_list.html",
        {
            "filter_form": form,
            "page": page,
            "can_raise": not request.user.is_certifier,
            **_query(request),
        },
    )


@login_required
def nc_create(request):
    if request.user.is_certifier or request.user.agency_id is None:
        raise PermissionDenied(_("Only people of the agency can raise nonconformities."))
    form = forms.NonconformityForm(request.POST or None, agency_id=_agency_id(request))
    if request.method == "POST" and form.is_valid():
        nc = _call(form, lambda: workflow.nc_raise(actor=request.user, **form.cleaned_data))
        if nc:
            return redirect(nc)
    return _form_page(
        request, "audits/form.html", {"form": form, "title": _("Raise a nonconformity")}, form
    )


@login_required
@require_POST
def nc_from_request(request, pk):
    """One action: a citizen complaint or low rating becomes a nonconformity."""
    severity = request.POST.get("severity", "minor")
    if severity not in Nonconformity.Severity.values:
        return HttpResponseBadRequest(_("Choose the severity: minor or major."))
    try:
        nc = workflow.nc_raise_from_request(actor=request.user, request_id=pk, severity=severity)
    except workflow.AuditRuleError as error:
        return render(request, "409.html", {"reason": str(error)}, status=409)
    messages.success(
        request,
        _("Nonconformity %(ref)s raised and linked to the request.") % {"ref": nc.reference},
    )
    return redirect(nc)


@login_required
@require_POST
def risk_action_create(request, pk):
    """Track a risk or opportunity's treatment as an action (ISO 9001 6.1.2)."""
    from processes.access import get_risk_for, require_edit

    risk = get_risk_for(request.user, pk)
    require_edit(request.user, risk.process)  # who may act, before what they sent
    form = forms.ActionForm(request.POST, agency_id=risk.process.agency_id)
    if not form.is_valid():
        reason = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
            for f, e in form.errors.items()
        )
        return render(
            request,
            "409.html",
            {"reason": reason, "back": reverse("processes:risk_edit", args=[risk.pk])},
            status=400,
        )
    try:
        action = workflow.risk_action_create(risk=risk, actor=request.user, **form.cleaned_data)
    except workflow.AuditRuleError as error:
        return render(request, "409.html", {"reason": str(error)}, status=409)
    messages.success(request, _("The treatment is tracked as an action."))
    return redirect(action)


def _nc_context(request, nc, **extra):
    agency_id = nc.agency_id
    context = {
        "nc": nc,
        "actions": nc.actions.select_related("owner").order_by("nc_round", "due_date"),
        "can_work": workflow.can_work_on_nc(request.user, nc),
        "can_verify": workflow.is_quality_manager_of(request.user, agency_id)
        and request.user.pk != nc.owner_id,
        "today": timezone.localdate(),
        "contain_form": forms.ContainForm(),
        "analyse_form": forms.AnalyseForm(),
        "plan_form": forms.PlanForm(agency_id=agency_id),
        "verify_form": forms.VerifyForm(),
        "history": nc.history.select_related("history_user")[:12],
    }
    context.update(extra)
    return context


@login_required
def nc_detail(request, pk):
    nc = access.get_nc_for(request.user, pk)
    return render(request, "audits/nc_detail.html", _nc_context(request, nc))


NC_STEPS = {
    "contain": (
        forms.ContainForm,
        lambda nc, user, form: workflow.nc_contain(nc=nc, actor=user, **form.cleaned_data),
        "contain_form",
    ),
    "analyse": (
        forms.AnalyseForm,
        lambda nc, user, form: workflow.nc_analyse(
            nc=nc,
            actor=user,
            method=form.cleaned_data["method"],
            analysis=form.analysis(),
            root_cause=form.cleaned_data["root_cause"],
        ),
        "analyse_form",
    ),
    "plan": (
        forms.PlanForm,
        lambda nc, user, form: workflow.nc_plan(nc=nc, actor=user, actions=form.actions()),
        "plan_form",
    ),
    "implement": (None, lambda nc, user, form: workflow.nc_implement(nc=nc, actor=user), None),
    "verify": (
        forms.VerifyForm,
        lambda nc, user, form: workflow.nc_verify(nc=nc, actor=user, **form.cleaned_data),
        "verify_form",
    ),
}


@login_required
@require_POST
def nc_step(request, pk, step):
    if step not in NC_STEPS:
        raise Http404(_("No such step."))
    form_class, call, name = NC_STEPS[step]
    nc = access.get_nc_for(request.user, pk, to="view" if step == "verify" else "work")
    if form_class is None:
        form = forms.forms.Form(request.POST)
    elif form_class is forms.PlanForm:
        form = form_class(request.POST, agency_id=nc.agency_id)
    else:
        form = form_class(request.POST)
    if form.is_valid() and _call(form, lambda: call(nc, request.user, form)):
        return redirect(nc)
    if name is None:
        return _refused(request, " ".join(form.non_field_errors()), nc.get_absolute_url())
    errors = [str(e) for errs in form.errors.values() for e in errs]
    context = _nc_context(request, nc, **{name: form, "failed_step": step, "step_errors": errors})
    return render(request, "audits/nc_detail.html", context, status=BAD_REQUEST)


# --- Actions -------------------------------------------------------------------------------


@login_required
def action_list(request):
    form = forms.ActionFilterForm(request.GET or None)
    actions = Action.objects.visible_to(request.user).select_related(
        "owner", "nonconformity", "review", "risk__process"
    )
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("status"):
        actions = actions.filter(status=data["status"])
    if data.get("kind"):
        actions = actions.filter(kind=data["kind"])
    if data.get("overdue"):
        actions = actions.overdue()
    if data.get("mine"):
        actions = actions.filter(owner=request.user)
    if data.get("department"):
        actions = actions.filter(department_id=data["department"])
    page = Paginator(actions.order_by("due_date", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audits/action_list.html",
        {"filter_form": form, "page": page, "today": timezone.localdate(), **_query(request)},
    )


@login_required
def action_detail(request, pk):
    action = access.get_action_for(request.user, pk)
    complete_form = forms.CompleteForm(request.POST or None, prefix="complete")
    verify_form = forms.ActionVerifyForm(request.POST or None, prefix="verify")
    if request.method == "POST":
        if "complete" in request.POST:
            form, call = (
                complete_form,
                lambda: workflow.action_complete(
                    action=action, actor=request.user, note=complete_form.cleaned_data["note"]
                ),
            )
        else:
            form, call = (
                verify_form,
                lambda: workflow.action_verify(
                    action=action, actor=request.user, **verify_form.cleaned_data
                ),
            )
        if form.is_valid() and _call(form, call):
            return redirect(action)
    status = BAD_REQUEST if complete_form.errors or verify_form.errors else 200
    context = {
        "action": action,
        "complete_form": complete_form,
        "verify_form": verify_form,
        "today": timezone.localdate(),
        "history": action.history.select_related("history_user")[:10],
    }
    return render(request, "audits/action_detail.html", context, status=status)


# --- Management review ---------------------------------------------------------------------


@login_required
def review_list(request):
    reviews = ManagementReview.objects.visible_to(request.user).select_related("chair")
    return render(
        request,
        "audits/review_list.html",
        {
            "reviews": reviews,
            "can_create": workflow.is_quality_manager_of(request.user, _agency_id(request)),
        },
    )


@login_required
def review_create(request):
    workflow.require_quality_manager(
        request.user, _agency_id(request), _("prepare a management review")
    )
    form = forms.ReviewForm(request.POST or None, agency_id=_agency_id(request))
    if request.method == "POST" and form.is_valid():
        review = _call(
            form, lambda: workflow.review_create(actor=request.user, **form.cleaned_data)
        )
        if review:
            return redirect(review)
    return _form_page(
        request, "audits/form.html", {"form": form, "title": _("Prepare a management review")}, form
    )


@login_required
def review_detail(request, pk):
    review = access.get_review_for(request.user, pk)
    minutes_form = forms.MinutesForm(
        request.POST or None,
        initial={"discussion": review.discussion, "decisions": review.decisions},
        prefix="minutes",
    )
    action_form = forms.ActionForm(
        request.POST or None, agency_id=review.agency_id, prefix="action"
    )
    sign_form = forms.PasswordForm(request.POST or None, prefix="sign")
    if request.method == "POST":
        chosen = {
            "minutes": (
                minutes_form,
                lambda: workflow.review_record(
                    review=review, actor=request.user, **minutes_form.cleaned_data
                ),
            ),
            "action": (
                action_form,
                lambda: workflow.review_add_action(
                    review=review, actor=request.user, **action_form.cleaned_data
                ),
            ),
            "refresh": (
                forms.forms.Form(request.POST),
                lambda: workflow.review_refresh_inputs(review=review, actor=request.user),
            ),
            "sign": (
                sign_form,
                lambda: workflow.review_sign(
                    review=review, signer=request.user, password=sign_form.cleaned_data["password"]
                ),
            ),
        }
        step = next((k for k in chosen if k in request.POST), None)
        if step is None:
            return _refused(request, _("Choose what to do."), review.get_absolute_url())
        form, call = chosen[step]
        if form.is_valid() and _call(form, call):
            return redirect(review)
        if step == "refresh":
            return _refused(request, " ".join(form.non_field_errors()), review.get_absolute_url())
    forms_with_errors = [
        f for f in (minutes_form, action_form, sign_form) if f.is_bound and f.errors
    ]
    context = {
        "review": review,
        "inputs": review.inputs,
        "attendees": review.attendees.all(),
        "actions": review.actions.select_related("owner"),
        "signatures": review.signatures.all(),
        "can_edit": review.status == ManagementReview.Status.DRAFT
        and (
            request.user.pk == review.chair_id
            or workflow.is_quality_manager_of(request.user, review.agency_id)
        ),
        "is_chair": request.user.pk == review.chair_id,
        "minutes_form": minutes_form
        if "minutes" in request.POST
        else forms.MinutesForm(
            initial={"discussion": review.discussion, "decisions": review.decisions},
            prefix="minutes",
        ),
        "action_form": action_form
        if "action" in request.POST
        else forms.ActionForm(agency_id=review.agency_id, prefix="action"),
        "sign_form": sign_form if "sign" in request.POST else forms.PasswordForm(prefix="sign"),
    }
    return render(
        request,
        "audits/review_detail.html",
        context,
        status=BAD_REQUEST if forms_with_errors else 200,
    )


@login_required
def review_minutes_pdf(request, pk):
    review = access.get_review_for(request.user, pk)
    response = HttpResponse(pdf.review_minutes_pdf(review), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="management-review-{review.pk}.pdf"'
    return response


# --- Dashboard -----------------------------------------------------------------------------


@login_required
def dashboard_view(request):
    if not access.can_see_dashboard(request.user):
        raise PermissionDenied(_("The quality dashboard is for quality managers."))
    agency = request.user.agency
    form = forms.DashboardFilterForm(request.GET or None, agency_id=request.user.agency_id)
    department = form.cleaned_data.get("department") if form.is_valid() else None
    start, end = form.period()
    data = dashboard.figures(agency, start=start, end=end, department=department)
    context = {
        "filter_form": form,
        "data": data,
        "charts": dashboard.charts_for(data),
        "links": dashboard.links_for(data),
        "dept": department.pk if department else "",
    }
    return render(
        request, "audits/dashboard.html", context, status=BAD_REQUEST if form.errors else 200
    )
