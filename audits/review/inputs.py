"""Management review inputs gathered from the data of a period (ISO 9001 9.3.2).

Every input is a small function returning plain JSON-ready values, so the review keeps a snapshot
of what management saw. Citizen satisfaction and service-commitment performance come from the
services app through :func:`service_performance`, the one pluggable input.
"""

from django.db.models import Count, Q
from django.utils import timezone

from documents.models import Document
from processes.models import Kpi, Risk, kpi_status

from ..auditing.models import Audit, ChecklistItem
from ..capa.models import Action, Nonconformity


def service_performance(agency, start, end, department=None):
    """Citizen satisfaction and service-commitment performance for the period (ISO 9001 9.1.2)::

        {"requests": int, "on_time_percent": float | None, "satisfaction_percent": float | None,
         "average_rating": float | None, "complaints": int,
         "trend": [{"label": "2026-01", "satisfaction": float | None, "on_time": float | None}, ...]}

    ``satisfaction_percent`` is the share of ratings of 4 or 5. One aggregate query.
    """
    from services.statistics import monthly_performance

    def percent(part, whole):
        return round(100 * part / whole, 1) if whole else None

    months = monthly_performance(agency=agency, start=start, end=end, department=department)
    totals = {
        key: sum(m[key] for m in months)
        for key in ("requests", "finished", "on_time", "ratings", "satisfied", "complaints")
    }
    rating_sum = sum((m["average_rating"] or 0) * m["ratings"] for m in months)
    return {
        "requests": totals["requests"],
        "on_time_percent": percent(totals["on_time"], totals["finished"]),
        "satisfaction_percent": percent(totals["satisfied"], totals["ratings"]),
        "average_rating": round(rating_sum / totals["ratings"], 2) if totals["ratings"] else None,
        "complaints": totals["complaints"],
        "trend": [
            {
                "label": timezone.localtime(m["month"]).strftime("%Y-%m"),
                "satisfaction": percent(m["satisfied"], m["ratings"]),
                "on_time": percent(m["on_time"], m["finished"]),
            }
            for m in months
        ],
    }


def previous_review_actions(agency, before, exclude_review=None):
    """Status of actions decided at earlier reviews (9.3.2 a)."""
    actions = Action.objects.filter(
        agency=agency, review__isnull=False, review__meeting_date__lt=before
    )
    if exclude_review is not None and exclude_review.pk:
        actions = actions.exclude(review=exclude_review)
    today = timezone.localdate()
    rows = list(actions.select_related("owner", "review").order_by("due_date", "pk")[:50])
    return {
        "open": sum(1 for a in rows if a.status == Action.Status.OPEN),
        "done": sum(1 for a in rows if a.status == Action.Status.DONE),
        "overdue": sum(1 for a in rows if a.is_overdue(today)),
        "items": [
            {
                "title": a.title,
                "owner": a.owner.display_name,
                "due": a.due_date.isoformat(),
                "status": str(a.get_status_display()),
                "review": a.review.title,
            }
            for a in rows
        ],
    }


def audit_results(agency, start, end):
    """Audits of the period and what they found (9.3.2 c 6)."""
    audits = Audit.objects.filter(agency=agency).in_period(start, end)
    by_status = dict(audits.values_list("status").annotate(n=Count("pk")))
    findings = dict(
        ChecklistItem.objects.filter(audit__in=audits)
        .exclude(result="")
        .values_list("result")
        .annotate(n=Count("pk"))
    )
    return {
        "audits": sum(by_status.values()),
        "by_status": {str(Audit.Status(k).label): v for k, v in by_status.items()},
        "findings": {
            str(ChecklistItem.Result(k).label): findings.get(k, 0)
            for k in ChecklistItem.Result.values
            if k
        },
        "items": [
            {"reference": a.reference, "title": a.title, "status": str(a.get_status_display())}
            for a in audits.order_by("planned_start")[:30]
        ],
    }


def nonconformities(agency, start, end):
    """Nonconformities raised in the period and how their corrective actions went (9.3.2 c 4)."""
    ncs = Nonconformity.objects.filter(agency=agency)
    raised = ncs.filter(raised_at__date__gte=start, raised_at__date__lte=end)
    totals = raised.aggregate(
        raised=Count("pk"),
        major=Count("pk", filter=Q(severity=Nonconformity.Severity.MAJOR)),
        closed=Count("pk", filter=Q(status=Nonconformity.Status.CLOSED)),
        reopened=Count("pk", filter=Q(round__gt=1)),
    )
    by_source = dict(raised.values_list("source").annotate(n=Count("pk")))
    totals["open_now"] = ncs.open().count()
    totals["by_source"] = {str(Nonconformity.Source(k).label): v for k, v in by_source.items()}
    return totals


def kpi_statuses(agency, start, end, *, department=None):
    """Traffic light of each active KPI's latest value in the period (9.3.2 c 3)."""
    kpis = (
        Kpi.objects.active()
        .filter(process__agency=agency)
        .with_latest_value(start, end)
        .select_related("process")
    )
    if department is not None:
        kpis = kpis.filter(process__department=department)
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    red = []
    for kpi in kpis:
        if kpi.latest_value is None:
            counts["none"] += 1
            continue
        status = kpi_status(
            kpi.latest_value,
            direction=kpi.direction,
            amber_threshold=kpi.amber_threshold,
            red_threshold=kpi.red_threshold,
        )
        counts[str(status.value)] += 1
        if status == "red":
            red.append(
                {"kpi": kpi.name, "process": kpi.process.code, "value": str(kpi.latest_value)}
            )
    return {"counts": counts, "red": red}


def risk_actions(agency, start, end):
    """Effectiveness of actions taken to address risks (9.3.2 e)."""
    today = timezone.localdate()
    actions = Action.objects.filter(agency=agency, risk__isnull=False)
    result = actions.aggregate(
        open=Count("pk", filter=Q(status=Action.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=Action.Status.OPEN, due_date__lt=today)),
        done_in_period=Count(
            "pk",
            filter=Q(
                status=Action.Status.DONE,
                completed_at__date__gte=start,
                completed_at__date__lte=end,
            ),
        ),
    )
    result["open_high_risks"] = (
        Risk.objects.filter(process__agency=agency, is_closed=False)
        .with_score()
        .filter(score_value__gte=10)
        .count()
    )
    return result


def documents_overdue(agency, end):
    """Controlled documents past their periodic review date."""
    overdue = Document.objects.filter(
        agency=agency, is_obsolete=False, next_review_due__lt=min(end, timezone.localdate())
    ).order_by("next_review_due")
    return {
        "count": overdue.count(),
        "items": [
            {"number": d.number, "title": d.title, "due": d.next_review_due.isoformat()}
            for d in overdue[:20]
        ],
    }


def self_assessment(agency, start, end):
    """The latest approved local-government self-assessment up to the period's end, or None."""
    from assessment.results import review_input

    return review_input(agency, start, end)


def gather(agency, start, end, *, exclude_review=None):
    """Every input of ISO 9001 9.3.2 the portal holds data for, for [start, end]."""
    before = exclude_review.meeting_date if exclude_review else end
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "previous_actions": previous_review_actions(agency, before, exclude_review),
        "audits": audit_results(agency, start, end),
        "nonconformities": nonconformities(agency, start, end),
        "kpis": kpi_statuses(agency, start, end),
        "services": service_performance(agency, start, end),
        "risk_actions": risk_actions(agency, start, end),
        "documents_overdue": documents_overdue(agency, end),
        "self_assessment": self_assessment(agency, start, end),
    }
