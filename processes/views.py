"""Pages of the processes app: thin; each parses the request, calls a query or workflow, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms_portal.csv_export import csv_response
from qms_portal.errors import apply_rule

from . import access, diagrams, workflow
from .forms import (
    CorrectionForm,
    InteractionForm,
    KpiForm,
    MeasurementForm,
    ProcessFilterForm,
    ProcessForm,
    RiskFilterForm,
    RiskForm,
    VoidForm,
)
from .models import Interaction, Measurement, Process, Risk

PAGE_SIZE = 25
FORM_ERROR_STATUS = 400


def _form_page(request, template, context):
    """A form page; reached after a POST, the form was refused, so 400 (its errors shown)."""
    status = FORM_ERROR_STATUS if request.method == "POST" else 200
    return render(request, template, context, status=status)


# --- Process register ----------------------------------------------------------------------


def _filtered_processes(request):
    form = ProcessFilterForm(request.GET or None, person=request.user)
    processes = (
        Process.objects.visible_to(request.user)
        .select_related("owner", "department")
        .order_by("code")
    )
    kpi_filter = {}
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            processes = processes.filter(
                Q(code__icontains=data["q"])
                | Q(name__icontains=data["q"])
                | Q(purpose__icontains=data["q"])
                | Q(scope__icontains=data["q"])
            )
        if data["category"]:
            processes = processes.filter(category=data["category"])
        if data["department"]:
            processes = processes.filter(department=data["department"])
        if data["clause"]:
            processes = processes.filter(clauses=data["clause"])
        if data["mine"]:
            processes = processes.filter(owner=request.user)
        kpi_filter = {key: data[key] for key in ("kpi_status", "kpi_from", "kpi_to")}
    return form, processes.with_register_counts(person=request.user, **kpi_filter)


@login_required
def process_list(request):
    form, processes = _filtered_processes(request)
    page = Paginator(processes, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "processes/process_list.html",
        {
            "filter_form": form,
            "page": page,
            "query_string": query.urlencode(),
            "can_create": access.can_create_process(request.user),
        },
    )


#: The register's columns, in the reader's language when the file is written.
REGISTER_HEADER = [
    gettext_lazy("Code"),
    gettext_lazy("Name"),
    gettext_lazy("Category"),
    gettext_lazy("Owner"),
    gettext_lazy("Department"),
    gettext_lazy("Purpose"),
    gettext_lazy("Scope"),
    gettext_lazy("Inputs (supplier)"),
    gettext_lazy("Outputs (customer)"),
    gettext_lazy("ISO 9001 clauses"),
    gettext_lazy("KPIs"),
    gettext_lazy("Open risks"),
    gettext_lazy("Active"),
]


def _register_rows(processes, *, yes, no):
    for p in processes:
        yield [
            p.code,
            p.name,
            p.get_category_display(),
            p.owner.display_name,
            p.department.name,
            p.purpose,
            p.scope,
            "; ".join(f"{i.name} ({i.supplier})" if i.supplier else i.name for i in p.inputs.all()),
            "; ".join(
                f"{o.name} ({o.customer})" if o.customer else o.name for o in p.outputs.all()
            ),
            ", ".join(c.number for c in p.clauses.all()),
            p.kpi_count,
            p.open_risk_count,
            yes if p.is_active else no,
        ]


@login_required
def process_export(request):
    """The filtered register as CSV (streamed, formula-safe, headers in the reader's language)."""
    _form, processes = _filtered_processes(request)
    processes = processes.prefetch_related("inputs", "outputs", "clauses")
    rows = _register_rows(processes, yes=_("yes"), no=_("no"))
    return csv_response("process-register.csv", REGISTER_HEADER, rows)


# --- One process ---------------------------------------------------------------------------


@login_required
def process_detail(request, pk):
    process = access.get_process_for(request.user, pk)
    kpis = list(
        process.kpis.order_by("-is_active", "name").prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("-period"))
        )
    )
    for kpi in kpis:
        kpi.latest = next(iter(kpi.measurements.all()), None)
    visible = Process.objects.visible_to(request.user)
    steps = workflow.available_steps(process, request.user)
    feeds = list(process.feeds.filter(target__in=visible).select_related("target"))
    context = {
        "process": process,
        "inputs": process.inputs.all(),
        "outputs": process.outputs.all(),
        "clauses": process.clauses.all(),
        "documents": process.documents.visible_to(request.user).order_by("number"),
        "kpis": kpis,
        "risks": process.risks.filter(is_closed=False).select_related("owner"),
        "feeds": [(link, workflow.available_steps(link, request.user)) for link in feeds],
        "fed_by": process.fed_by.filter(source__in=visible).select_related("source"),
        "steps": steps,
        "history": process.history.select_related("history_user")[:10],
    }
    return render(request, "processes/process_detail.html", context)


def _process_form_fields(form):
    data = dict(form.cleaned_data)
    documents = data.pop("documents")
    return data, data.pop("clauses"), data.pop("inputs"), data.pop("outputs"), documents


@login_required
def process_create(request):
    if not access.can_create_process(request.user):
        raise PermissionDenied(_("Only a quality manager can define a new process."))
    form = ProcessForm(request.POST or None, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        fields, clauses, inputs, outputs, documents = _process_form_fields(form)
        process = apply_rule(
            form,
            lambda: workflow.process_create(
                actor=request.user,
                fields=fields,
                clauses=clauses,
                inputs=inputs,
                outputs=outputs,
                documents=documents,
            ),
        )
        if process:
            messages.success(request, _("Process %(code)s defined.") % {"code": process.code})
            return redirect(process)
    return _form_page(request, "processes/process_form.html", {"form": form})


@login_required
def process_edit(request, pk):
    process = access.get_process_for(request.user, pk, to="edit")
    form = ProcessForm(request.POST or None, instance=process, agency=process.agency)
    if request.method == "POST" and form.is_valid():
        fields, clauses, inputs, outputs, documents = _process_form_fields(form)
        saved = apply_rule(
            form,
            lambda: workflow.process_update(
                process=process,
                actor=request.user,
                fields=fields,
                clauses=clauses,
                inputs=inputs,
                outputs=outputs,
                documents=documents,
            ),
        )
        if saved:
            messages.success(request, _("Process %(code)s saved.") % {"code": saved.code})
            return redirect(saved)
    return _form_page(request, "processes/process_form.html", {"form": form, "process": process})


@login_required
def interaction_add(request, pk):
    process = access.get_process_for(request.user, pk, to="edit")
    form = InteractionForm(request.POST or None, source=process)
    if request.method == "POST" and form.is_valid():
        done = apply_rule(
            form,
            lambda: workflow.interaction_add(
                source=process,
                target=form.cleaned_data["target"],
                output=form.cleaned_data["output"],
                actor=request.user,
            ),
        )
        if done:
            messages.success(request, _("Interaction added."))
            return redirect(process)
    return _form_page(
        request, "processes/interaction_form.html", {"form": form, "process": process}
    )


@login_required
@require_POST
def interaction_remove(request, pk):
    interaction = access.get_interaction_for(request.user, pk)
    source = interaction.source
    workflow.interaction_remove(interaction=interaction, actor=request.user)
    messages.success(request, _("Interaction removed."))
    return redirect(source)


# --- Process map ---------------------------------------------------------------------------


def _map_svg(request):
    processes = (
        Process.objects.visible_to(request.user)
        .filter(is_active=True)
        .only("pk", "code", "name", "category")
    )
    interactions = Interaction.objects.filter(source__in=processes, target__in=processes).only(
        "source_id", "target_id", "output"
    )
    return diagrams.process_map(list(processes), list(interactions))


@login_required
def process_map(request):
    return render(request, "processes/process_map.html", {"svg": _map_svg(request)})


@login_required
def process_map_svg(request):
    response = HttpResponse(_map_svg(request), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="process-map.svg"'
    return response


# --- KPIs and measurements -----------------------------------------------------------------


@login_required
def kpi_detail(request, pk):
    kpi = access.get_kpi_for(request.user, pk)
    measurements = list(kpi.measurements.select_related("recorded_by").order_by("period"))
    shown = Measurement.all_records.filter(kpi=kpi).select_related("recorded_by", "voided_by")
    corrections = (
        Measurement.history.filter(kpi_id=kpi.pk, history_type="~")
        .select_related("history_user")
        .order_by("-history_date")[:50]
    )
    return render(
        request,
        "processes/kpi_detail.html",
        {
            "kpi": kpi,
            "process": kpi.process,
            "measurements": [
                (m, workflow.available_steps(m, request.user))
                for m in shown.order_by("-period", "-pk")
            ],
            "chart": diagrams.kpi_trend(kpi, measurements[-24:]),
            "corrections": corrections,
            "steps": workflow.available_steps(kpi, request.user),
        },
    )


@login_required
def kpi_create(request, pk):
    process = access.get_process_for(request.user, pk, to="edit")
    form = KpiForm(request.POST or None, process=process)
    if request.method == "POST" and form.is_valid():
        kpi = apply_rule(
            form,
            lambda: workflow.kpi_create(
                process=process, actor=request.user, fields=form.cleaned_data
            ),
        )
        if kpi:
            messages.success(request, _("KPI “%(name)s” defined.") % {"name": kpi.name})
            return redirect(kpi)
    return _form_page(request, "processes/kpi_form.html", {"form": form, "process": process})


@login_required
def kpi_edit(request, pk):
    kpi = access.get_kpi_for(request.user, pk, to="edit")
    form = KpiForm(request.POST or None, instance=kpi, process=kpi.process)
    if request.method == "POST" and form.is_valid():
        saved = apply_rule(
            form, lambda: workflow.kpi_update(kpi=kpi, actor=request.user, fields=form.cleaned_data)
        )
        if saved:
            messages.success(request, _("KPI saved."))
            return redirect(saved)
    return _form_page(
        request, "processes/kpi_form.html", {"form": form, "process": kpi.process, "kpi": kpi}
    )


@login_required
def measurement_create(request, pk):
    kpi = access.get_kpi_for(request.user, pk, to="edit")
    form = MeasurementForm(request.POST or None, kpi=kpi)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        measurement = apply_rule(
            form,
            lambda: workflow.measurement_record(
                kpi=kpi,
                period=data["period"],
                value=data["value"],
                note=data["note"],
                actor=request.user,
            ),
        )
        if measurement:
            messages.success(
                request,
                _("%(period)s recorded: %(status)s.")
                % {"period": measurement.period_label, "status": measurement.status.label},
            )
            return redirect(kpi)
    return _form_page(
        request,
        "processes/measurement_form.html",
        {"form": form, "kpi": kpi, "process": kpi.process},
    )


@login_required
def measurement_correct(request, pk):
    measurement = access.get_measurement_for(request.user, pk, to="edit")
    form = CorrectionForm(
        request.POST or None, initial={"value": measurement.value, "note": measurement.note}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = apply_rule(
            form,
            lambda: workflow.measurement_correct(
                measurement=measurement,
                value=data["value"],
                note=data["note"],
                reason=data["reason"],
                actor=request.user,
            ),
        )
        if saved:
            messages.success(request, _("%(period)s corrected.") % {"period": saved.period_label})
            return redirect(measurement.kpi)
    return _form_page(
        request,
        "processes/correction_form.html",
        {
            "form": form,
            "measurement": measurement,
            "kpi": measurement.kpi,
            "process": measurement.kpi.process,
        },
    )


@login_required
def measurement_void(request, pk):
    measurement = access.get_measurement_for(request.user, pk, to="edit")
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        voided = apply_rule(
            form,
            lambda: workflow.measurement_void(
                measurement=measurement, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if voided:
            messages.success(request, _("%(period)s is void.") % {"period": voided.period_label})
            return redirect(measurement.kpi)
    return _form_page(
        request,
        "processes/void_form.html",
        {
            "form": form,
            "measurement": measurement,
            "kpi": measurement.kpi,
            "process": measurement.kpi.process,
        },
    )


# --- Risks and opportunities ---------------------------------------------------------------


@login_required
def risk_list(request):
    form = RiskFilterForm(request.GET or None)
    risks = Risk.objects.visible_to(request.user).select_related("process", "owner").with_score()
    data = form.cleaned_data if form.is_valid() else {}
    if not data.get("show_closed"):
        risks = risks.filter(is_closed=False)
    if data.get("kind"):
        risks = risks.filter(kind=data["kind"])
    cells = {
        (row["likelihood"], row["impact"]): row["count"]
        for row in risks.values("likelihood", "impact").annotate(count=Count("pk"))
    }
    if data.get("likelihood"):
        risks = risks.filter(likelihood=data["likelihood"])
    if data.get("impact"):
        risks = risks.filter(impact=data["impact"])
    page = Paginator(risks.order_by("-score_value", "review_date", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "processes/risk_list.html",
        {
            "filter_form": form,
            "page": page,
            "heat_map": diagrams.risk_heat_map(
                cells, base_query=_without(request, "likelihood", "impact", "page")
            ),
            "today": timezone.localdate(),
        },
    )


def _without(request, *names):
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query


@login_required
def risk_create(request, pk):
    process = access.get_process_for(request.user, pk, to="edit")
    form = RiskForm(request.POST or None, process=process)
    if request.method == "POST" and form.is_valid():
        risk = apply_rule(
            form,
            lambda: workflow.risk_create(
                process=process, actor=request.user, fields=form.cleaned_data
            ),
        )
        if risk:
            messages.success(
                request,
                _("Recorded: %(level)s, score %(score)d.")
                % {"level": risk.level.label, "score": risk.score},
            )
            return redirect(process)
    return _form_page(request, "processes/risk_form.html", {"form": form, "process": process})


@login_required
def risk_edit(request, pk):
    to = "edit" if request.method == "POST" else "view"
    risk = access.get_risk_for(request.user, pk, to=to)
    form = RiskForm(request.POST or None, instance=risk, process=risk.process)
    if request.method == "POST" and form.is_valid():
        saved = apply_rule(
            form,
            lambda: workflow.risk_update(risk=risk, actor=request.user, fields=form.cleaned_data),
        )
        if saved:
            messages.success(
                request,
                _("Saved: %(level)s, score %(score)d.")
                % {"level": saved.level.label, "score": saved.score},
            )
            return redirect(saved.process)
    return _form_page(
        request,
        "processes/risk_form.html",
        {
            "form": form,
            "process": risk.process,
            "risk": risk,
            "steps": workflow.available_steps(risk, request.user),
            "history": risk.history.select_related("history_user")[:10],
            # ISO 9001 6.1.2: treatments tracked as actions (audits' shared action model)
            "treatment_actions": risk.actions.select_related("owner").order_by("due_date"),
        },
    )
