"""Pages of management review: thin; each parses the request, calls a query or workflow, renders."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qms_portal.errors import apply_rule, refused
from qms_portal.organisation.roles import is_quality_manager_of

from ..auditing import forms as auditing_forms
from ..auditing.views import BAD_REQUEST, _agency_id, _form_page
from ..capa import forms as capa_forms
from . import access, forms, pdf, workflow
from .models import ManagementReview

SUBNAV = {"subnav": "audits/_subnav.html"}

# --- Management review ---------------------------------------------------------------------


@login_required
def review_list(request):
    reviews = ManagementReview.objects.visible_to(request.user).select_related("chair")
    return render(
        request,
        "review/review_list.html",
        {
            "reviews": reviews,
            "can_create": is_quality_manager_of(request.user, _agency_id(request)),
        },
    )


@login_required
def review_create(request):
    if not is_quality_manager_of(request.user, _agency_id(request)):
        raise PermissionDenied(
            _("Only a quality manager can %(what)s.") % {"what": _("prepare a management review")}
        )
    form = forms.ReviewForm(request.POST or None, agency_id=_agency_id(request))
    if request.method == "POST" and form.is_valid():
        review = apply_rule(
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
    action_form = capa_forms.ActionForm(
        request.POST or None, agency_id=review.agency_id, prefix="action"
    )
    sign_form = auditing_forms.PasswordForm(request.POST or None, prefix="sign")
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
        back = review.get_absolute_url()
        if step is None:
            return refused(request, _("Choose what to do."), back=back, context=SUBNAV)
        form, call = chosen[step]
        if form.is_valid() and apply_rule(form, call):
            return redirect(review)
        if step == "refresh":
            message = " ".join(form.non_field_errors())
            return refused(request, message, back=back, context=SUBNAV)
    forms_with_errors = [
        f for f in (minutes_form, action_form, sign_form) if f.is_bound and f.errors
    ]
    context = {
        "review": review,
        "inputs": review.inputs,
        "attendees": review.attendees.all(),
        "actions": review.actions.select_related("owner"),
        "signatures": review.signatures.all(),
        "steps": workflow.available_steps(review, request.user),
        "history": review.history.select_related("history_user")[:12],
        "minutes_form": minutes_form
        if "minutes" in request.POST
        else forms.MinutesForm(
            initial={"discussion": review.discussion, "decisions": review.decisions},
            prefix="minutes",
        ),
        "action_form": action_form
        if "action" in request.POST
        else capa_forms.ActionForm(agency_id=review.agency_id, prefix="action"),
        "sign_form": sign_form
        if "sign" in request.POST
        else auditing_forms.PasswordForm(prefix="sign"),
    }
    return render(
        request,
        "review/review_detail.html",
        context,
        status=BAD_REQUEST if forms_with_errors else 200,
    )


@login_required
def review_minutes_pdf(request, pk):
    review = access.get_review_for(request.user, pk)
    response = HttpResponse(pdf.review_minutes_pdf(review), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="management-review-{review.pk}.pdf"'
    return response
