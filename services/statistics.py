"""Service statistics per month, service and department (ISO 9001 9.1.2 customer satisfaction,
9.1.3 analysis): requests, on-time rate, median resolution time, satisfaction.

:func:`monthly_statistics` is the function other apps call (dashboard, management review).
"""

import statistics as stats
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from .models import ServiceRequest


@dataclass
class MonthRow:
    month: date  # first day of the month
    service_code: str
    service_name: str
    department_code: str
    requests: int = 0
    finished: int = 0
    on_time: int = 0
    median_resolution_days: float | None = None
    ratings: int = 0
    satisfaction: float | None = None  # average rating, 1–5

    @property
    def on_time_rate(self):
        """Share of finished requests finished by their due date (None when none finished)."""
        return self.on_time / self.finished if self.finished else None


def _bounds(start, end):
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end, time.max, tzinfo=zone),
    )


def monthly_statistics(*, agency, start, end, department=None, service=None):
    """One row per month and service for requests submitted between ``start`` and ``end`` (dates).

    One query, whatever the number of requests. Resolution time counts calendar days from
    submission to resolution (or rejection); satisfaction is the average citizen rating.
    """
    requests = ServiceRequest.objects.filter(
        service__agency=agency, submitted_at__range=_bounds(start, end)
    )
    if department is not None:
        requests = requests.filter(department=department)
    if service is not None:
        requests = requests.filter(service=service)
    rows = {}
    durations, ratings = {}, {}
    for item in requests.values(
        "submitted_at",
        "resolved_at",
        "closed_at",
        "status",
        "due_date",
        "rating",
        "service__code",
        "service__name_en",
        "service__name_zh",
        "department__code",
    ).iterator(chunk_size=5000):
        local = timezone.localtime(item["submitted_at"])
        key = (local.year, local.month, item["service__code"], item["department__code"])
        row = rows.get(key)
        if row is None:
            row = rows[key] = MonthRow(
                month=date(local.year, local.month, 1),
                service_code=item["service__code"],
                service_name=item["service__name_en"] or item["service__name_zh"],
                department_code=item["department__code"],
            )
        row.requests += 1
        finished = item["resolved_at"] or (
            item["closed_at"] if item["status"] in ServiceRequest.DONE_STATUSES else None
        )
        if finished:
            row.finished += 1
            row.on_time += timezone.localdate(finished) <= item["due_date"]
            days = (finished - item["submitted_at"]).total_seconds() / 86400
            durations.setdefault(key, []).append(days)
        if item["rating"]:
            ratings.setdefault(key, []).append(item["rating"])
    for key, row in rows.items():
        if durations.get(key):
            row.median_resolution_days = round(stats.median(durations[key]), 1)
        if ratings.get(key):
            row.ratings = len(ratings[key])
            row.satisfaction = round(sum(ratings[key]) / len(ratings[key]), 2)
    return sorted(rows.values(), key=lambda r: (r.month, r.department_code, r.service_code))


def totals(rows):
    """The rows summed up: requests, on-time rate and average satisfaction over all of them."""
    requests = sum(r.requests for r in rows)
    finished = sum(r.finished for r in rows)
    on_time = sum(r.on_time for r in rows)
    rated = sum(r.ratings for r in rows)
    score = sum((r.satisfaction or 0) * r.ratings for r in rows)
    return {
        "requests": requests,
        "finished": finished,
        "on_time_rate": on_time / finished if finished else None,
        "ratings": rated,
        "satisfaction": round(score / rated, 2) if rated else None,
    }


def monthly_performance(*, agency, start, end, department=None):
    """Per month of submission: requests, finished, finished on time, ratings, satisfied ratings
    (4 or 5), average rating and complaints — aggregated by the database in one query, so the
    dashboard and management review stay fast with hundreds of thousands of requests."""
    from django.db.models import Avg, Case, Count, DateTimeField, F, Q, When
    from django.db.models.functions import Coalesce, TruncMonth

    requests = ServiceRequest.objects.filter(
        service__agency=agency, submitted_at__range=_bounds(start, end)
    )
    if department is not None:
        requests = requests.filter(department=department)
    finished_at = Coalesce(
        "resolved_at",
        Case(When(status__in=ServiceRequest.DONE_STATUSES, then="closed_at")),
        output_field=DateTimeField(),
    )
    return list(
        requests.annotate(month=TruncMonth("submitted_at"), finished_at=finished_at)
        .values("month")
        .annotate(
            requests=Count("pk"),
            finished=Count("pk", filter=Q(finished_at__isnull=False)),
            on_time=Count("pk", filter=Q(finished_at__date__lte=F("due_date"))),
            ratings=Count("rating"),
            satisfied=Count("pk", filter=Q(rating__gte=4)),
            average_rating=Avg("rating"),
            complaints=Count("pk", filter=Q(service__is_complaint=True)),
        )
        .order_by("month")
    )
