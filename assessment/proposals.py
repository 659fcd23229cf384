"""Levels the portal proposes from its own data, for indicators that have a data source.

:func:`gather_figures` reads each figure once for the assessment year (a handful of queries,
whatever the number of indicators); :func:`propose` turns an indicator's figure into a level with
the indicator's thresholds. The assessor confirms the proposal or overrides it with a reason.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from audits.capa.models import Action, Nonconformity
from audits.review import inputs
from services.statistics import monthly_statistics, totals

from .models import DataSource, Indicator, Level


def _reference_date(end):
    """Counts 'as of' the end of the year, or today while the year is still running."""
    return min(end, timezone.localdate())


def _open_nonconformities(agency, end):
    ref = _reference_date(end)
    return (
        Nonconformity.objects.filter(agency=agency, raised_at__date__lte=ref)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gt=ref))
        .count()
    )


def _actions_overdue(agency, end):
    ref = _reference_date(end)
    return (
        Action.objects.filter(agency=agency, due_date__lt=ref)
        .exclude(status=Action.Status.CANCELLED)
        .filter(Q(status=Action.Status.OPEN) | Q(completed_at__date__gt=ref))
        .count()
    )


def _kpi_red_share(agency, start, end):
    counts = inputs.kpi_statuses(agency, start, end)["counts"]
    measured = counts["green"] + counts["amber"] + counts["red"]
    return (round(100 * counts["red"] / measured, 1), measured) if measured else (None, 0)


def gather_figures(agency, year):
    """Every portal figure for ``year``: {source: {"value": number or None, "basis": text}}."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    service = totals(monthly_statistics(agency=agency, start=start, end=end))
    on_time = service["on_time_rate"]
    red_share, measured = _kpi_red_share(agency, start, end)
    return {
        DataSource.SERVICE_ON_TIME: {
            "value": round(on_time * 100, 1) if on_time is not None else None,
            "basis": f"{service['finished']} finished requests",
        },
        DataSource.SATISFACTION: {
            "value": service["satisfaction"],
            "basis": f"{service['ratings']} citizen ratings",
        },
        DataSource.OPEN_NONCONFORMITIES: {
            "value": _open_nonconformities(agency, end),
            "basis": f"open on {_reference_date(end).isoformat()}",
        },
        DataSource.KPI_RED_SHARE: {"value": red_share, "basis": f"{measured} measured KPIs"},
        DataSource.DOCUMENTS_OVERDUE: {
            "value": inputs.documents_overdue(agency, end)["count"],
            "basis": f"overdue on {_reference_date(end).isoformat()}",
        },
        DataSource.ACTIONS_OVERDUE: {
            "value": _actions_overdue(agency, end),
            "basis": f"overdue on {_reference_date(end).isoformat()}",
        },
    }


def level_for(value, *, direction, green_threshold, red_threshold):
    """Green at the green threshold or better, red when worse than the red threshold, else yellow."""
    value = Decimal(str(value))
    if direction == Indicator.Direction.HIGHER:
        if value >= green_threshold:
            return Level.GREEN
        return Level.RED if value < red_threshold else Level.YELLOW
    if value <= green_threshold:
        return Level.GREEN
    return Level.RED if value > red_threshold else Level.YELLOW


def propose(indicator, figures):
    """(proposed level, figure) for one indicator, or ("", None) without data or thresholds."""
    if not indicator.proposes:
        return "", None
    value = (figures.get(indicator.data_source) or {}).get("value")
    if value is None:
        return "", None
    level = level_for(
        value,
        direction=indicator.direction,
        green_threshold=indicator.green_threshold,
        red_threshold=indicator.red_threshold,
    )
    return level, Decimal(str(value)).quantize(Decimal("0.01"))


#: Kept for indicator forms: which sources exist besides "none".
SOURCES = [value for value in DataSource.values if value]
