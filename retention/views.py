"""Pages of retention and disposal: thin; each parses the request, calls access/workflow, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qms_portal.errors import apply_rule, refused

from . import access, forms, workflow
from .models import DisposalRecord, DisposalRun, LegalHold, RetentionRule

BAD_REQUEST = 400


@login_required
def schedule(request):
    access.require_view(request.user)
    rules = RetentionRule.objects.visible_to(request.user).order_by("record_type")
    return render(
        request,
        "retention/schedule.html",
        {"rules": rules, "manages": access.can_manage(request.user, request.user.agency_id)},
    )


@login_required
def rule_edit(request, pk):
    rule = RetentionRule.objects.visible_to(request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404(_("No such retention rule."))
    access.require_manage(request.user)
    initial = {"years": rule.years, "trigger_event": rule.trigger_event}
    form = forms.RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = apply_rule(
            form, lambda: workflow.rule_change(rule=rule, actor=request.user, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, _("Retention rule saved."))
            return redirect("retention:schedule")
    return render(
        request,
        "retention/rule_form.html",
        {"rule": rule, "form": form},
        status=BAD_REQUEST if form.errors else 200,
    )


@login_required
def holds(request):
    access.require_view(request.user)
    manages = access.can_manage(request.user, request.user.agency_id)
    form = forms.HoldForm(request.POST or None)
    if request.method == "POST":
        access.require_manage(request.user)
        if form.is_valid():
            hold = apply_rule(
                form, lambda: workflow.hold_place(actor=request.user, **form.cleaned_data)
            )
            if hold is not None:
                messages.success(request, _("Legal hold placed."))
                return redirect("retention:holds")
    listed = LegalHold.objects.visible_to(request.user).select_related("placed_by", "released_by")
    return render(
        request,
        "retention/holds.html",
        {"holds": listed, "form": form, "manages": manages, "release_form": forms.ReleaseForm()},
        status=BAD_REQUEST if form.errors else 200,
    )


@login_required
@require_POST
def hold_release(request, pk):
    hold = access.get_hold_for(request.user, pk)
    form = forms.ReleaseForm(request.POST)
    if not form.is_valid():
        return refused(
            request,
            _("Give the reason the hold is released."),
            back=reverse("retention:holds"),
            status=400,
        )
    try:
        workflow.hold_release(hold=hold, actor=request.user, reason=form.cleaned_data["reason"])
    except workflow.RetentionRuleError as error:
        return refused(request, error, back=reverse("retention:holds"))
    messages.success(request, _("Legal hold released."))
    return redirect("retention:holds")


@login_required
def runs(request):
    access.require_view(request.user)
    form = forms.ProposeForm(request.POST or None)
    if request.method == "POST":
        access.require_manage(request.user)
        if form.is_valid():
            run = apply_rule(
                form,
                lambda: workflow.run_propose(
                    actor=request.user, record_types=form.cleaned_data["record_types"]
                ),
            )
            if run is not None:
                return redirect(run)
    return render(
        request,
        "retention/runs.html",
        {
            "runs": DisposalRun.objects.visible_to(request.user).select_related("proposed_by"),
            "records": DisposalRecord.objects.visible_to(request.user).select_related(
                "run", "executed_by"
            )[:200],
            "form": form,
            "manages": access.can_manage(request.user, request.user.agency_id),
        },
        status=BAD_REQUEST if form.errors else 200,
    )


@login_required
def run_detail(request, pk):
    run = access.get_run_for(request.user, pk)
    return render(
        request,
        "retention/run.html",
        {
            "run": run,
            "steps": workflow.available_steps(run, request.user),
            "candidates": run.candidates.order_by("record_type", "trigger_date", "pk"),
            "records": run.records.select_related("approved_by", "executed_by"),
            "approvals": run.approvals.all(),
            "approve_form": forms.ApproveForm(),
        },
    )


@login_required
@require_POST
def run_step(request, pk, step):
    run = access.get_run_for(request.user, pk)
    if step not in workflow.MACHINE:
        raise Http404(_("No such step."))
    try:
        if step == "approve":
            form = forms.ApproveForm(request.POST)
            password = form.cleaned_data["password"] if form.is_valid() else ""
            workflow.run_approve(run=run, actor=request.user, password=password)
        elif step == "execute":
            workflow.run_execute(run=run, actor=request.user)
        else:
            workflow.run_withdraw(run=run, actor=request.user)
    except workflow.RetentionRuleError as error:
        return refused(request, error, back=run.get_absolute_url())
    return redirect(run)
