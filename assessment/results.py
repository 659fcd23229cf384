"""Reading a self-assessment: area scores, the radar and quadrant views, the year-over-year trend,
the management review input and the evidence-pack section.

Functions take plain rows (``{"code", "area", "name_zh", "name_en", "level"}``) where they can, so
the public page draws the same charts from its cached data as the internal pages do from the
database.
"""

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qms_portal import charts

from .models import LEVEL_POINTS, Area, AssessmentResult, Level, SelfAssessment

LEVEL_COLOURS = {Level.GREEN: "green", Level.YELLOW: "amber", Level.RED: "red", "": "muted"}


def result_rows(assessment):
    """The assessment's results as plain rows (uses prefetched results when there)."""
    return [
        {
            "code": r.indicator.code,
            "area": r.indicator.area,
            "name_zh": r.indicator.name_zh,
            "name_en": r.indicator.name_en,
            "level": r.level,
        }
        for r in assessment.results.all()
    ]


def _name(row):
    if (get_language() or "").startswith("zh"):
        return row["name_zh"] or row["name_en"]
    return row["name_en"] or row["name_zh"]


def area_scores(rows):
    """Per area: counts of each level and a score in percent (green 2, yellow 1, red 0 points)."""
    scores = {}
    for area in Area.values:
        in_area = [r for r in rows if r["area"] == area]
        assessed = [r for r in in_area if r["level"]]
        counts = {level: sum(1 for r in assessed if r["level"] == level) for level in Level.values}
        points = sum(LEVEL_POINTS[r["level"]] for r in assessed)
        scores[area] = {
            "label": str(Area(area).label),
            "indicators": len(in_area),
            "counts": counts,
            "unassessed": len(in_area) - len(assessed),
            "score": round(100 * points / (2 * len(assessed)), 1) if assessed else 0.0,
        }
    return scores


def radar_svg(rows, *, year, previous_rows=None, previous_year=None):
    """The four area scores of one year (and the year before, when given) as a radar."""
    axes = [str(label) for label in Area.labels]
    series = []
    if previous_rows:
        previous = area_scores(previous_rows)
        series.append(
            charts.RadarSeries(
                str(previous_year), tuple(previous[a]["score"] for a in Area.values), "muted"
            )
        )
    current = area_scores(rows)
    series.append(
        charts.RadarSeries(str(year), tuple(current[a]["score"] for a in Area.values), "brand")
    )
    return charts.radar_chart(
        axes,
        series,
        title=_("Self-assessment %(year)s: score per area (%%)") % {"year": year},
    )


def quadrant_svg(rows, *, year, url_for=None):
    """Every indicator as a coloured square in its area's quadrant: the one-page view."""
    quadrants = []
    for area in Area.values:
        items = [
            charts.QuadrantItem(
                label=r["code"],
                colour=LEVEL_COLOURS.get(r["level"], "muted"),
                tip=f"{r['code']} {_name(r)}: "
                + (str(Level(r["level"]).label) if r["level"] else _("not assessed")),
                url=url_for(r) if url_for else "",
            )
            for r in rows
            if r["area"] == area
        ]
        quadrants.append((str(Area(area).label), items))
    return charts.quadrant_chart(
        quadrants, title=_("Self-assessment %(year)s: level of each indicator") % {"year": year}
    )


def trend(assessments):
    """Year-over-year level of each indicator: (years, [{"code", "name", "area", "levels"}]).

    ``assessments`` are approved assessments of one agency with results prefetched; levels are
    listed per year, oldest first ('' when the indicator was not in that year's assessment).
    """
    assessments = sorted(assessments, key=lambda a: a.year)
    years = [a.year for a in assessments]
    rows = {}
    for column, assessment in enumerate(assessments):
        for result in assessment.results.all():
            indicator = result.indicator
            row = rows.setdefault(
                indicator.code,
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "area": indicator.area,
                    "position": indicator.position,
                    "levels": [""] * len(years),
                },
            )
            row["levels"][column] = result.level
    for row in rows.values():
        known = [level for level in row["levels"] if level]
        row["direction"] = _direction(known[-2], known[-1]) if len(known) >= 2 else ""
    return years, sorted(rows.values(), key=lambda r: (r["position"], r["code"]))


def _direction(before, after):
    change = LEVEL_POINTS[after] - LEVEL_POINTS[before]
    return "up" if change > 0 else ("down" if change < 0 else "same")


def approved_with_results(agency):
    """Approved assessments of the agency with results and indicators (two queries)."""
    results = AssessmentResult.objects.select_related("indicator").order_by(
        "indicator__position", "indicator__code"
    )
    return (
        SelfAssessment.objects.approved()
        .filter(agency=agency)
        .prefetch_related(Prefetch("results", queryset=results))
        .order_by("year")
    )


def latest_approved(agency, *, up_to_year=None):
    assessments = approved_with_results(agency)
    if up_to_year is not None:
        assessments = assessments.filter(year__lte=up_to_year)
    return assessments.order_by("-year").first()


def review_input(agency, start, end):
    """Management review input (ISO 9001 9.3.2, ISO 18091 diagnostic): the latest approved
    self-assessment up to the period's end, as JSON-ready values, or None."""
    assessment = latest_approved(agency, up_to_year=end.year)
    if assessment is None:
        return None
    rows = result_rows(assessment)
    return {
        "year": assessment.year,
        "approved_on": assessment.approved_at.date().isoformat() if assessment.approved_at else "",
        "areas": {
            area: {"label": s["label"], "score": s["score"], **s["counts"]}
            for area, s in area_scores(rows).items()
        },
        "red": [
            {"code": r["code"], "name": r["name_en"] or r["name_zh"]}
            for r in rows
            if r["level"] == Level.RED
        ],
    }


def pack_section(agency, period_start, period_end):
    """The self-assessment section of an evidence pack: the latest approved assessment up to the
    period's end. Returns {"title", "data", "html"}; ``data`` is None (and the HTML says so) when
    there is none. The HTML is self-contained (inline SVG), ready for WeasyPrint."""
    assessment = latest_approved(agency, up_to_year=period_end.year)
    data = review_input(agency, period_start, period_end) if assessment else None
    context = {"assessment": assessment, "data": data}
    if assessment is not None:
        rows = result_rows(assessment)
        context.update(
            rows=rows,
            results=list(assessment.results.all()),
            signatures=list(assessment.signatures.all()),
            scores=area_scores(rows),
            quadrant=quadrant_svg(rows, year=assessment.year),
        )
    return {
        "title": _("Local-government self-assessment"),
        "data": data,
        "html": render_to_string("assessment/pack_section.html", context),
    }
