"""Deadline reminders and escalation for open requests, raised by Celery beat.

Idempotent: each reminder has a stable notification key, so running the task twice (or a retry)
notifies each person once per request and kind.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy

from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import heads_of, quality_managers_of

from .deadlines import at_risk_until
from .models import ServiceRequest
from .working_days import Calendar

#: Overdue by this many working days: the quality managers are told too.
ESCALATE_AFTER_WORKING_DAYS = 3


def send_deadline_reminders(today=None):
    """Remind handlers of requests at risk and overdue; escalate long-overdue ones.

    Returns the number of new notifications.
    """
    today = today or timezone.localdate()
    sent = 0
    agency_ids = (
        ServiceRequest.objects.open().values_list("service__agency_id", flat=True).distinct()
    )
    for agency_id in list(agency_ids):
        calendar = Calendar.around(agency_id, today, 30)
        sent += _remind_agency(agency_id, calendar, today)
    return sent


def _remind_agency(agency_id, calendar, today):
    until = at_risk_until(calendar, today)
    requests = list(
        ServiceRequest.objects.open()
        .filter(service__agency_id=agency_id, due_date__lte=until)
        .select_related("service", "department", "assignee")
    )
    if not requests:
        return 0
    heads = heads_of({r.department_id for r in requests})
    quality_managers = list(quality_managers_of(agency_id))
    sent = 0
    for request in requests:
        handlers = [request.assignee] if request.assignee else heads.get(request.department_id, [])
        if request.due_date >= today:
            sent += _tell(
                handlers, request, "at-risk", gettext_lazy("Request #%(id)s is due %(due)s")
            )
            continue
        sent += _tell(
            handlers + heads.get(request.department_id, []),
            request,
            "overdue",
            gettext_lazy("Request #%(id)s is overdue (due %(due)s)"),
        )
        if calendar.working_days_between(request.due_date, today) >= ESCALATE_AFTER_WORKING_DAYS:
            sent += _tell(
                quality_managers,
                request,
                "escalated",
                gettext_lazy("Escalated: request #%(id)s overdue since %(due)s"),
            )
    return sent


def _tell(people, request, kind, subject):
    sent = 0
    for person in {p.pk: p for p in people}.values():
        _notification, created = notify(
            recipient=person,
            key=f"services:{kind}:{request.pk}:{request.due_date:%Y%m%d}:{person.pk}",
            subject=lambda: subject % {"id": request.pk, "due": f"{request.due_date:%Y-%m-%d}"},
            body=lambda: f"{request.service.code}: {request.description[:300]}",
            url=request.get_absolute_url(),
        )
        sent += created
    return sent
