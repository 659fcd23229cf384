"""The quality manager's dashboard: every figure is one aggregate query, never a loop per row.

``figures()`` returns plain numbers and rows; ``charts()`` turns them into server-rendered SVG
whose bars and cells link to the filtered lists behind them.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Document
from processes.models import Clause
from qms_portal import charts

from .auditing.coverage import covers, main_clauses
from .auditing.models import Audit
from .capa.models import Action, Nonconformity
from .review import inputs

SEVERITY_COLOURS = {"major": "red", "minor": "amber"}


def _url(name, **params):
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse(name) + ("?" + urlencode(params) if params else "")


def _bounds(start, end):
    """[start 00:00, day after end 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    return since, datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def figures(agency, *, start, end, department=None):
    """All numbers of the dashboard for the agency, a period and optionally one department."""
    today = timezone.localdate()
    dept_id = department.pk if department else None
    ncs = Nonconformity.objects.filter(agency=agency)
    actions = Action.objects.filter(agency=agency)
    audits = Audit.objects.filter(agency=agency).in_period(start, end)
    documents = Document.objects.filter(agency=agency, is_obsolete=False)
    if department is not None:
        ncs = ncs.filter(department=department)
        actions = actions.filter(department=department)
        audits = audits.filter(department=department)
        documents = documents.filter(owner_department=department)
    open_ncs = ncs.open()
    # Datetime bounds, not __date lookups: no SQL function per row, and the indexes apply.
    since, until = _bounds(start, end)
    nc_totals = ncs.aggregate(
        open=Count("pk", filter=~Q(status=Nonconformity.Status.CLOSED)),
        raised=Count("pk", filter=Q(raised_at__gte=since, raised_at__lt=until)),
        closed=Count("pk", filter=Q(closed_at__gte=since, closed_at__lt=until)),
        awaiting_verification=Count("pk", filter=Q(status=Nonconformity.Status.IMPLEMENTED)),
    )
    by_severity = dict(open_ncs.values_list("severity").annotate(n=Count("pk")))
    by_department = list(
        open_ncs.values("department_id", "department__code")
        .annotate(n=Count("pk"))
        .order_by("-n", "department__code")[:10]
    )
    by_process = list(
        open_ncs.filter(process__isnull=False)
        .values("process_id", "process__code")
        .annotate(n=Count("pk"))
        .order_by("-n", "process__code")[:10]
    )
    action_totals = actions.aggregate(
        open=Count("pk", filter=Q(status=Action.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=Action.Status.OPEN, due_date__lt=today)),
        due_soon=Count(
            "pk",
            filter=Q(
                status=Action.Status.OPEN,
                due_date__gte=today,
                due_date__lte=today + timedelta(days=14),
            ),
        ),
    )
    audit_status = dict(audits.values_list("status").annotate(n=Count("pk")))
    clause_audits = dict(
        Audit.clauses.through.objects.filter(audit__in=audits)
        .values_list("clause__number")
        .annotate(n=Count("audit", distinct=True))
    )
    kpis = inputs.kpi_statuses(agency, start, end, department=department)
    return {
        "today": today,
        "start": start,
        "end": end,
        "department_id": dept_id,
        "nc": nc_totals,
        "nc_by_severity": {s: by_severity.get(s, 0) for s in Nonconformity.Severity.values},
        "nc_by_department": by_department,
        "nc_by_process": by_process,
        "actions": action_totals,
        "audits": {
            "total": sum(audit_status.values()),
            **{s: audit_status.get(s, 0) for s in Audit.Status.values},
        },
        "clauses": list(Clause.objects.only("number", "title")),
        "clause_audits": clause_audits,
        "kpis": kpis["counts"],
        "documents_overdue": documents.filter(next_review_due__lt=today).count(),
        "services": inputs.service_performance(agency, start, end, department=dept_id),
    }


def links_for(data):
    """The filtered list behind every number of the dashboard, with its department and period.

    KPI counts open the process register filtered to the KPIs in that status (its KPIs column
    then adds up to the count); service figures open the statistics of the period's year."""
    dept, start, end = data["department_id"], data["start"], data["end"]
    period = {"start": start.isoformat(), "end": end.isoformat(), "department": dept}
    nc_list, action_list, audit_list = "capa:nc_list", "capa:action_list", "auditing:audit_list"
    kpi = {"kpi_from": start.isoformat(), "kpi_to": end.isoformat(), "department": dept}
    statistics = _url("services:statistics", year=start.year, department=dept)
    return {
        "open_ncs": _url(nc_list, status="open", department=dept),
        "raised_ncs": _url(
            nc_list, raised_from=start.isoformat(), raised_to=end.isoformat(), department=dept
        ),
        "awaiting_verification": _url(nc_list, status="implemented", department=dept),
        "overdue_actions": _url(action_list, overdue="on", department=dept),
        "open_actions": _url(action_list, status="open", department=dept),
        # The register's "due" filter is "past the review date" (next_review_due < today), as here.
        "documents_overdue": _url("documents:register", due="on", department=dept),
        "audits": {
            "total": _url(audit_list, **period),
            **{s: _url(audit_list, status=s, **period) for s in Audit.Status.values},
        },
        "kpis": {s: _url("processes:list", kpi_status=s, **kpi) for s in data["kpis"]},
        "services": statistics,
    }


def clause_coverage(clauses, clause_audits):
    """Audits covering each main clause: counts of criteria equal, inside or above it."""
    result = {}
    for clause in main_clauses(clauses):
        result[clause] = sum(
            n for number, n in clause_audits.items() if covers(number, clause.number)
        )
    return result


def _coverage_colour(count):
    if count == 0:
        return "critical"
    return "medium" if count == 1 else "low"


def charts_for(data):
    """SVG charts of the figures, each bar and cell linked to its filtered list."""
    dept = data["department_id"]
    nc_list = "capa:nc_list"
    severity = charts.bar_chart(
        [
            charts.Bar(
                str(Nonconformity.Severity(s).label),
                n,
                _url(nc_list, status="open", severity=s, department=dept),
                SEVERITY_COLOURS[s],
            )
            for s, n in data["nc_by_severity"].items()
        ],
        title=_("Open nonconformities by severity"),
    )
    department = charts.bar_chart(
        [
            charts.Bar(
                row["department__code"],
                row["n"],
                _url(nc_list, status="open", department=row["department_id"]),
            )
            for row in data["nc_by_department"]
        ],
        title=_("Open nonconformities by department"),
        empty_text=_("No open nonconformities."),
    )
    process = charts.bar_chart(
        [
            charts.Bar(
                row["process__code"],
                row["n"],
                _url(nc_list, status="open", process=row["process_id"], department=dept),
            )
            for row in data["nc_by_process"]
        ],
        title=_("Open nonconformities by process"),
        empty_text=_("No open nonconformities linked to a process."),
    )
    coverage = clause_coverage(data["clauses"], data["clause_audits"])
    chapters = {}
    for clause, count in coverage.items():
        chapters.setdefault(clause.number.split(".")[0], []).append(
            charts.Cell(
                clause.number,
                _coverage_colour(count),
                _url(
                    "auditing:audit_list",
                    clause=clause.number,
                    start=data["start"].isoformat(),
                    end=data["end"].isoformat(),
                    department=dept,
                ),
                f"{clause}: {count}",
            )
        )
    heat = charts.cell_grid(
        [(_("Clause %(n)s") % {"n": chapter}, cells) for chapter, cells in chapters.items()],
        title=_("Clause coverage by audits in the period"),
        label_width=90,
    )
    trend = None
    services = data["services"]
    if services and services.get("trend"):
        trend = charts.trend_chart(
            [
                charts.Point(p["label"], float(p["satisfaction"]))
                for p in services["trend"]
                if p.get("satisfaction") is not None
            ],
            title=_("Citizen satisfaction"),
            unit="%",
        )
    return {
        "severity": severity,
        "department": department,
        "process": process,
        "coverage": heat,
        "unaudited_clauses": [c for c, n in coverage.items() if n == 0],
        "satisfaction": trend,
    }
