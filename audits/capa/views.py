"""Pages of nonconformities and actions: thin; each parses the request, calls a query or workflow,
renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qms_portal.errors import RuleError, apply_rule, refused

from ..auditing.views import BAD_REQUEST, PAGE_SIZE, _agency_id, _form_page, _query
from . import access, forms, workflow
from .models import Action, Nonconformity

SUBNAV = {"subnav": "audits/_subnav.html"}

# --- Nonconformities -----------------------------------------------------------------------


@login_required
def nc_list(request):
    form = forms.NcFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    ncs = (
        Nonconformity.all_records.visible_to(request.user)
        .in_register_status(status)
        .select_related("department", "process", "owner")
    )
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
        "capa/nc_list.html",
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
        nc = apply_rule(form, lambda: workflow.nc_raise(actor=request.user, **form.cleaned_data))
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
    except RuleError as error:
        back = reverse("services:request", args=[pk])
        return refused(request, error, back=back, status=409)  # the request forbids it
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
    back = reverse("processes:risk_edit", args=[risk.pk])
    if not form.is_valid():
        reason = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
            for f, e in form.errors.items()
        )
        return refused(request, reason, back=back, status=BAD_REQUEST)
    try:
        action = workflow.risk_action_create(risk=risk, actor=request.user, **form.cleaned_data)
    except RuleError as error:
        return refused(request, error, back=back, status=409)
    messages.success(request, _("The treatment is tracked as an action."))
    return redirect(action)


def _nc_context(request, nc, **extra):
    agency_id = nc.agency_id
    context = {
        "nc": nc,
        "steps": workflow.available_steps(nc, request.user),
        "actions": nc.actions.select_related("owner").order_by("nc_round", "due_date"),
        "contain_form": forms.ContainForm(),
        "analyse_form": forms.AnalyseForm(),
        "plan_form": forms.PlanForm(agency_id=agency_id),
        "verify_form": forms.VerifyForm(),
        "void_form": forms.VoidForm(),
        "history": nc.history.select_related("history_user")[:12],
    }
    context.update(extra)
    return context


@login_required
def nc_detail(request, pk):
    nc = access.get_nc_for(request.user, pk)
    return render(request, "capa/nc_detail.html", _nc_context(request, nc))


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
    "void": (
        forms.VoidForm,
        lambda nc, user, form: workflow.nc_void(nc=nc, actor=user, **form.cleaned_data),
        "void_form",
    ),
}
#: Steps taken by someone who may see the nonconformity but not work on it (an independent
#: quality manager or the verification deputy); the workflow checks who exactly.
INDEPENDENT_STEPS = {"verify", "void"}


@login_required
@require_POST
def nc_step(request, pk, step):
    if step not in NC_STEPS:
        raise Http404(_("No such step."))
    form_class, call, name = NC_STEPS[step]
    nc = access.get_nc_for(request.user, pk, to="view" if step in INDEPENDENT_STEPS else "work")
    if form_class is None:
        form = forms.forms.Form(request.POST)
    elif form_class is forms.PlanForm:
        form = form_class(request.POST, agency_id=nc.agency_id)
    else:
        form = form_class(request.POST)
    if form.is_valid() and apply_rule(form, lambda: call(nc, request.user, form)):
        return redirect(nc)
    if name is None:
        message = " ".join(form.non_field_errors())
        return refused(request, message, back=nc.get_absolute_url(), context=SUBNAV)
    errors = [str(e) for errs in form.errors.values() for e in errs]
    context = _nc_context(request, nc, **{name: form, "failed_step": step, "step_errors": errors})
    return render(request, "capa/nc_detail.html", context, status=BAD_REQUEST)


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
        "capa/action_list.html",
        {"filter_form": form, "page": page, **_query(request)},
    )


@login_required
def action_detail(request, pk):
    action = access.get_action_for(request.user, pk)
    complete_form = forms.CompleteForm(request.POST or None, prefix="complete")
    verify_form = forms.ActionVerifyForm(request.POST or None, prefix="verify")
    if request.method == "POST":
        if "complete" in request.POST:  # the other form is the verification
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
        if form.is_valid() and apply_rule(form, call):
            return redirect(action)
    status = BAD_REQUEST if complete_form.errors or verify_form.errors else 200
    context = {
        "action": action,
        "steps": workflow.available_action_steps(action, request.user),
        "complete_form": complete_form,
        "verify_form": verify_form,
        "history": action.history.select_related("history_user")[:10],
    }
    return render(request, "capa/action_detail.html", context, status=status)
