"""Deadline status of a request: on time, at risk or overdue, against its due date in working days."""

from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms_portal.statemachine import Tone

from .working_days import Calendar

#: A request is at risk when it is due today or within this many further working days.
AT_RISK_WORKING_DAYS = 1


class DeadlineStatus(TextChoices):
    ON_TIME = "on_time", _("On time")
    AT_RISK = "at_risk", _("At risk")
    OVERDUE = "overdue", _("Overdue")
    MET = "met", _("Finished on time")
    MISSED = "missed", _("Finished late")

    @property
    def tone(self):
        """How the deadline looks in the status badge."""
        return _TONES.get(self, Tone.OK)


_TONES = {
    DeadlineStatus.AT_RISK: Tone.WARN,
    DeadlineStatus.OVERDUE: Tone.BAD,
    DeadlineStatus.MISSED: Tone.BAD,
}


def at_risk_until(calendar, today):
    return calendar.add_working_days(today, AT_RISK_WORKING_DAYS)


def deadline_status(request, calendar: Calendar, today=None):
    """Where a request stands against its due date."""
    today = today or timezone.localdate()
    if not request.is_open:
        finished = request.finished_at
        finished_day = timezone.localdate(finished) if finished else today
        return DeadlineStatus.MET if finished_day <= request.due_date else DeadlineStatus.MISSED
    if request.due_date < today:
        return DeadlineStatus.OVERDUE
    if request.due_date <= at_risk_until(calendar, today):
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.ON_TIME


def finished_on_time(request):
    finished = request.finished_at
    return bool(finished) and timezone.localdate(finished) <= request.due_date
