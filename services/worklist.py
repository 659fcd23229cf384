"""What citizen services ask of a person, for their home page (a fixed number of queries)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal.organisation.worklist import WorkItem, register

from .models import ServiceRequest

#: At most this many requests on the home page; the queue lists the rest.
LIMIT = 25


@register
def service_work(person):
    if not person.is_authenticated or person.agency_id is None:
        return []
    today = timezone.localdate()
    heads_of = list(person.memberships.filter(is_head=True).values_list("department_id", flat=True))
    mine = Q(assignee=person) | Q(assignee__isnull=True, department_id__in=heads_of)
    requests = (
        ServiceRequest.objects.open()
        .filter(mine, service__agency_id=person.agency_id)
        .select_related("service")
        .order_by("due_date", "pk")[:LIMIT]
    )
    return [
        WorkItem(
            _("Citizen request #%(id)s: %(service)s") % {"id": r.pk, "service": r.service.name},
            r.get_absolute_url(),
            _("Request") if r.assignee_id else _("Unassigned request"),
            r.due_date,
            r.due_date < today,
        )
        for r in requests
    ]
