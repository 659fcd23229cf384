"""The processes app's pictures, drawn by the shared SVG module: map, KPI trend, risk heat map."""

from django.urls import reverse
from django.utils.translation import gettext as _

from qms_portal import charts

from .models import Level, Process, Status, level_for

CATEGORY_COLOURS = {
    Process.Category.MANAGEMENT: "#e6eef7",
    Process.Category.CORE: "#ffffff",
    Process.Category.SUPPORT: "#eef7ee",
}
LEVEL_COLOURS = {
    Level.LOW: "low",
    Level.MEDIUM: "medium",
    Level.HIGH: "high",
    Level.CRITICAL: "critical",
}
STATUS_COLOURS = {Status.GREEN: "green", Status.AMBER: "amber", Status.RED: "red"}


def process_map(processes, interactions):
    """All processes in three lanes (management, core, support) with their interactions."""
    lanes = []
    for category in Process.Category:
        members = sorted((p for p in processes if p.category == category), key=lambda p: p.code)
        nodes = [
            charts.Node(
                key=p.pk,
                code=p.code,
                name=p.name,
                url=p.get_absolute_url(),
                colour=CATEGORY_COLOURS[category],
            )
            for p in members
        ]
        lanes.append((f"{category.label} ({len(nodes)})", nodes))
    codes = {p.pk: p.code for p in processes}
    edges = [
        charts.Edge(
            i.source_id,
            i.target_id,
            f"{codes.get(i.source_id)} → {codes.get(i.target_id)}: {i.output}",
        )
        for i in interactions
    ]
    return charts.lane_map(lanes, edges, title=_("Process map"))


def kpi_trend(kpi, measurements):
    """The KPI's values over time, coloured by status, with target and thresholds."""
    points = [
        charts.Point(
            label=m.period_label,
            value=float(m.value),
            colour=STATUS_COLOURS[kpi.status_of(m.value)],
            note=f"({kpi.status_of(m.value).label})",
        )
        for m in measurements
    ]
    lines = [
        charts.ReferenceLine(_("target"), float(kpi.target), "brand"),
        charts.ReferenceLine(_("amber"), float(kpi.amber_threshold), "amber"),
        charts.ReferenceLine(_("red"), float(kpi.red_threshold), "red"),
    ]
    return charts.trend_chart(
        points, title=_("Trend of %(kpi)s") % {"kpi": kpi.name}, lines=lines, unit=kpi.unit
    )


def risk_heat_map(cells, *, base_query):
    """5 × 5 likelihood × impact grid; each cell links to the register filtered to it."""
    url = reverse("processes:risks")

    def url_of(likelihood, impact):
        query = base_query.copy()
        query["likelihood"], query["impact"] = likelihood, impact
        return f"{url}?{query.urlencode()}"

    return charts.heat_map(
        cells,
        title=_("Risk heat map"),
        colour_of=lambda likelihood, impact: LEVEL_COLOURS[level_for(likelihood * impact)],
        url_of=url_of,
        x_label=_("Likelihood"),
        y_label=_("Impact"),
    )
