"""Open actions, nonconformities to work on, and audits to run, on the person's home page."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qms_portal.organisation.roles import is_quality_manager_of
from qms_portal.organisation.worklist import WorkItem, register

from .auditing.models import Audit
from .capa.models import Action, Nonconformity

LIMIT = 20


@register
def audit_work(person):
    """Three queries whatever the number of items (each list capped)."""
    if not person.is_authenticated or person.agency_id is None:
        return []
    today = timezone.localdate()
    items = [
        WorkItem(
            title=action.title,
            url=action.get_absolute_url(),
            kind=pgettext("corrective action", "Action"),
            due=action.due_date,
            overdue=action.due_date < today,
        )
        for action in Action.objects.open().filter(owner=person).order_by("due_date")[:LIMIT]
    ]
    working = [Nonconformity.Status.IMPLEMENTED, Nonconformity.Status.CLOSED]
    items += [
        WorkItem(
            title=_("%(ref)s: %(status)s")
            % {"ref": nc.reference, "status": nc.get_status_display()},
            url=nc.get_absolute_url(),
            kind=_("Nonconformity"),
        )
        for nc in Nonconformity.objects.filter(owner=person).exclude(status__in=working)[:LIMIT]
    ]
    items += [
        WorkItem(
            title=str(audit),
            url=audit.get_absolute_url(),
            kind=_("Audit"),
            due=audit.planned_start,
        )
        for audit in Audit.objects.filter(lead_auditor=person)
        .exclude(status=Audit.Status.CLOSED)
        .order_by("planned_start")[:LIMIT]
    ]
    if is_quality_manager_of(person, person.agency_id):
        items.append(
            WorkItem(
                title=_("Quality dashboard"), url=reverse("audits:dashboard"), kind=_("Audits")
            )
        )
    return items
