"""Measurement periods: a KPI measured monthly, quarterly or yearly has one value per period.

A period is identified by the date of its first day (``2026-04-01`` is April 2026, or Q2 2026
for a quarterly KPI), so one ``DateField`` and one unique constraint cover every frequency.
"""

from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

#: Days after a period ends before its measurement counts as overdue.
GRACE_DAYS = 10


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


_MONTHS_PER_PERIOD = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


def period_start(day, frequency):
    """First day of the period of ``frequency`` that contains ``day``."""
    months = _MONTHS_PER_PERIOD[frequency]
    month = ((day.month - 1) // months) * months + 1
    return date(day.year, month, 1)


def is_period_start(day, frequency):
    return period_start(day, frequency) == day


def shift(start, frequency, periods):
    """The period ``periods`` periods after (before, if negative) the one starting on ``start``."""
    index = start.year * 12 + start.month - 1 + periods * _MONTHS_PER_PERIOD[frequency]
    return date(index // 12, index % 12 + 1, 1)


def period_end(start, frequency):
    """Last day of the period starting on ``start``."""
    return shift(start, frequency, 1) - timedelta(days=1)


def due_date(start, frequency):
    """When the measurement of a period is due: a few days after the period ends."""
    return period_end(start, frequency) + timedelta(days=GRACE_DAYS)


def last_completed_period(today, frequency):
    """The most recent period that has fully ended before ``today``."""
    return shift(period_start(today, frequency), frequency, -1)


def recent_periods(today, frequency, count):
    """The ``count`` most recent completed periods, newest first."""
    last = last_completed_period(today, frequency)
    return [shift(last, frequency, -n) for n in range(count)]


def label(start, frequency):
    """How people write the period: ``2026-04``, ``2026-Q2`` or ``2026``."""
    if frequency == Frequency.MONTHLY:
        return f"{start.year}-{start.month:02d}"
    if frequency == Frequency.QUARTERLY:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)
