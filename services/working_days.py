"""Working-day arithmetic with the agency's holiday calendar: the one place due dates come from.

Monday to Friday are working days, except the agency's holidays; a weekend day the agency works to
make up for a holiday (a swap, ``Holiday.is_working_day``) counts as a working day. A calendar is
loaded with one query for the span it needs, then answers any number of questions in memory.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .models import Holiday

# A span long enough for any commitment: 365 working days fit in two calendar years.
_SPAN_FACTOR = 2
_SPAN_MARGIN = 60


@dataclass
class Calendar:
    holidays: frozenset = field(default_factory=frozenset)
    worked_weekend_days: frozenset = field(default_factory=frozenset)

    @classmethod
    def load(cls, agency_id, start, end):
        """The agency's calendar between two dates (one query)."""
        rows = Holiday.objects.filter(
            agency_id=agency_id, date__gte=start, date__lte=end
        ).values_list("date", "is_working_day")
        holidays, worked = set(), set()
        for day, is_working_day in rows:
            (worked if is_working_day else holidays).add(day)
        return cls(frozenset(holidays), frozenset(worked))

    @classmethod
    def around(cls, agency_id, day, working_days=30):
        """A calendar covering ``working_days`` working days either side of ``day``."""
        span = timedelta(days=working_days * _SPAN_FACTOR + _SPAN_MARGIN)
        return cls.load(agency_id, day - span, day + span)

    def is_working_day(self, day):
        if day in self.worked_weekend_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start, count):
        """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start, end):
        """Working days after ``start`` up to and including ``end`` (negative if end is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )


def calendar_for(agency_id, day, working_days=30):
    return Calendar.around(agency_id, day, working_days)


def add_working_days(agency_id, start, count):
    """The due date ``count`` working days after ``start`` in the agency's calendar."""
    return calendar_for(agency_id, start, count).add_working_days(start, count)


def is_working_day(agency_id, day: date):
    return Calendar.load(agency_id, day, day).is_working_day(day)
