"""Pages of the self-assessment and the public transparency page: thin; each parses the request,
calls a query or a workflow function, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from audits.capa.models import Nonconformity
from documents.models import Document
from processes.models import Measurement
from qms_portal.errors import apply_rule, refused
from qms_portal.organisation.models import Agency, SealedChainHead
from qms_portal.organisation.roles import is_quality_manager_of
from services.models import Service

from . import access, forms, results, transparency, workflow
from .models import Area, DataSource, Indicator, Level, SelfAssessment

BAD_REQUEST = 400
REFUSED = "assessment/refused.html"


def _form_page(request, context, form):
    return render(
        request,
        "assessment/form.html",
        {"form": form, **context},
        status=BAD_REQUEST if form.errors else 200,
    )


# --- Internal pages ------------------------------------------------------------------------


@login_required
def assessment_list(request):
    access.require_assessments(request.user)
    assessments = SelfAssessment.objects.visible_to(request.user).select_related("approver")
    return render(
        request,
        "assessment/list.html",
        {
            "assessments": assessments,
            "is_qm": is_quality_manager_of(request.user, request.user.agency_id),
        },
    )


@login_required
def assessment_create(request):
    access.require_quality_manager(
        request.user, request.user.agency_id, _("start a self-assessment")
    )
    form = forms.AssessmentCreateForm(
        request.POST or None,
        agency_id=request.user.agency_id,
        initial={"year": timezone.localdate().year - 1},
    )
    if request.method == "POST" and form.is_valid():
        assessment = apply_rule(
            form,
            lambda: workflow.assessment_create(
                actor=request.user, agency=request.user.agency, **form.cleaned_data
            ),
        )
        if assessment:
            return redirect(assessment)
    return _form_page(request, {"title": _("New self-assessment")}, form)


def _visible_evidence(person):
    """The evidence of each result that the reader may see (one query per kind of record)."""
    return [
        Prefetch(
            "evidence_documents",
            queryset=Document.objects.visible_to(person).order_by("number"),
            to_attr="visible_documents",
        ),
        Prefetch(
            "evidence_measurements",
            queryset=Measurement.objects.visible_to(person)
            .select_related("kpi")
            .order_by("kpi__name", "period"),
            to_attr="visible_measurements",
        ),
        Prefetch(
            "evidence_findings",
            queryset=Nonconformity.objects.visible_to(person).order_by("reference"),
            to_attr="visible_findings",
        ),
        Prefetch(
            "evidence_services",
            queryset=Service.objects.visible_to(person).order_by("code"),
            to_attr="visible_services",
        ),
    ]


def _grouped(result_list):
    return [
        (label, [r for r in result_list if r.indicator.area == area])
        for area, label in Area.choices
    ]


@login_required
def assessment_detail(request, pk):
    assessment = access.get_assessment_for(request.user, pk)
    result_list = list(
        assessment.results.select_related("indicator", "assessor", "action")
        .prefetch_related(*_visible_evidence(request.user))
        .order_by("indicator__position", "indicator__code")
    )
    rows = [
        {
            "code": r.indicator.code,
            "area": r.indicator.area,
            "name_zh": r.indicator.name_zh,
            "name_en": r.indicator.name_en,
            "level": r.level,
        }
        for r in result_list
    ]
    previous = results.latest_approved(assessment.agency, up_to_year=assessment.year - 1)
    user = request.user
    return render(
        request,
        "assessment/detail.html",
        {
            "assessment": assessment,
            "areas": _grouped(result_list),
            "scores": results.area_scores(rows),
            "radar": results.radar_svg(
                rows,
                year=assessment.year,
                previous_rows=results.result_rows(previous) if previous else None,
                previous_year=previous.year if previous else None,
            ),
            "quadrant": results.quadrant_svg(rows, year=assessment.year),
            "figures": [(DataSource(k).label, v) for k, v in assessment.figures.items() if k],
            "signatures": list(assessment.signatures.all()),
            "steps": workflow.available_steps(assessment, user),
            "return_form": forms.ReturnForm(),
            "approve_form": forms.ApproveForm(),
            "raise_form": forms.RaiseActionsForm(),
            "red_count": sum(1 for r in result_list if r.level == Level.RED),
        },
    )


@login_required
def assessment_chart(request, pk):
    """The radar of area scores as a standalone SVG (for download or printing)."""
    assessment = access.get_assessment_for(request.user, pk)
    rows = results.result_rows(assessment)
    svg = results.radar_svg(rows, year=assessment.year)
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@login_required
def result_edit(request, pk):
    result = access.get_result_for(request.user, pk, to="assess")
    assessment = result.assessment
    initial = {
        "level": result.level or result.proposed_level,
        "reasons": result.reasons,
        "override_reason": result.override_reason,
        "documents": result.evidence_documents.all(),
        "measurements": result.evidence_measurements.all(),
        "findings": result.evidence_findings.all(),
        "services": result.evidence_services.all(),
    }
    form = forms.ResultForm(
        request.POST or None, initial=initial, person=request.user, assessment=assessment
    )
    if request.method == "POST" and form.is_valid():
        saved = apply_rule(
            form,
            lambda: workflow.result_record(result=result, actor=request.user, **form.cleaned_data),
        )
        if saved:
            messages.success(request, _("%(code)s recorded.") % {"code": result.indicator.code})
            return redirect(assessment)
    figure = (
        assessment.figures.get(result.indicator.data_source)
        if result.indicator.data_source
        else None
    )
    return _form_page(
        request,
        {
            "title": f"{assessment} · {result.indicator}",
            "result": result,
            "figure": figure,
            "source_label": DataSource(result.indicator.data_source).label,
        },
        form,
    )


#: URL step → (what ``get_assessment_for`` checks, the form it posts, the workflow call).
STEPS = {
    "submit": ("coordinate", None, workflow.assessment_submit),
    "refresh": ("coordinate", None, workflow.assessment_refresh),
    "return": ("return", forms.ReturnForm, workflow.assessment_return),
    "approve": ("approve", forms.ApproveForm, workflow.assessment_approve),
    "actions": ("raise", forms.RaiseActionsForm, workflow.assessment_raise_actions),
}


@login_required
@require_POST
def assessment_step(request, pk, step):
    if step not in STEPS:
        raise Http404(_("No such step."))
    to, form_class, call = STEPS[step]
    assessment = access.get_assessment_for(request.user, pk, to=to)
    form = form_class(request.POST) if form_class else None
    back = assessment.get_absolute_url()
    if form is not None and not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return refused(request, message, back=back, template=REFUSED, status=BAD_REQUEST)
    person = {"signer" if step == "approve" else "actor": request.user}
    try:
        call(assessment=assessment, **person, **(form.cleaned_data if form else {}))
    except workflow.AssessmentRuleError as error:
        return refused(request, error, back=back, template=REFUSED)
    messages.success(request, _("Done."))
    return redirect(assessment)


@login_required
def trend(request):
    access.require_assessments(request.user)
    agency = request.user.agency
    if agency is None:
        raise Http404(_("The trend belongs to an agency."))
    years, rows = results.trend(results.approved_with_results(agency))
    return render(request, "assessment/trend.html", {"years": years, "rows": rows})


@login_required
def indicator_list(request):
    access.require_assessments(request.user)
    indicators = (
        Indicator.objects.visible_to(request.user)
        .prefetch_related("departments")
        .order_by("position", "code")
    )
    return render(
        request,
        "assessment/indicators.html",
        {
            "areas": [
                (label, [i for i in indicators if i.area == area]) for area, label in Area.choices
            ],
            "is_qm": is_quality_manager_of(request.user, request.user.agency_id),
        },
    )


@login_required
def indicator_edit(request, pk):
    indicator = access.get_indicator_for(request.user, pk, to="edit")
    form = forms.IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        departments = list(data.pop("departments"))
        saved = apply_rule(
            form,
            lambda: workflow.indicator_update(
                indicator=indicator, actor=request.user, departments=departments, **data
            ),
        )
        if saved:
            messages.success(request, _("Indicator saved."))
            return redirect("assessment:indicators")
    return _form_page(request, {"title": str(indicator)}, form)


@login_required
def publication(request):
    access.require_quality_manager(
        request.user, request.user.agency_id, _("change the public page")
    )
    agency = request.user.agency
    page = getattr(agency, "transparency", None) if agency else None
    form = forms.TransparencyForm(
        request.POST or None,
        initial={
            "publish_self_assessment": bool(page and page.publish_self_assessment),
            "statement_zh": page.policy_statement_zh if page else "",
            "statement_en": page.policy_statement_en if page else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        saved = apply_rule(
            form,
            lambda: workflow.transparency_update(
                agency=agency, actor=request.user, **form.cleaned_data
            ),
        )
        if saved:
            messages.success(request, _("The public page is updated."))
            return redirect("transparency:agency", code=agency.code)
    return _form_page(request, {"title": _("Public transparency page")}, form)


# --- Public pages (no sign-in) -------------------------------------------------------------


def transparency_index(request):
    agencies = Agency.objects.order_by("name").only("code", "name", "short_name")
    return render(request, "assessment/transparency/index.html", {"agencies": agencies})


def transparency_page(request, code):
    agency = get_object_or_404(Agency, code=code)
    data = transparency.page_data(agency)
    assessment = data["assessment"]
    context = {"data": data, "agency": data["agency"]}
    if assessment:
        rows = assessment["results"]
        context.update(
            scores=results.area_scores(rows),
            radar=results.radar_svg(rows, year=assessment["year"]),
            quadrant=results.quadrant_svg(rows, year=assessment["year"]),
        )
    return render(request, "assessment/transparency/agency.html", context)


@require_safe
def chain_head_statement(request, seal):
    """The statement a published chain head seals, for anyone who keeps the head to check it."""
    head = get_object_or_404(SealedChainHead, seal=seal)
    response = HttpResponse(head.statement, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="chain-head-{head.issued_at:%Y%m%d}.json"'
    return response
