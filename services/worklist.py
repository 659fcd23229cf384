"""What citizen services ask of a person, for their home page (a fixed number of queries)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal.organisation.models import Department
from qms_portal.organisation.roles import heads_of
from qms_portal.organisation.worklist import WorkItem, register

from .models import ServiceRequest

#: At most this many requests on the home page; the queue lists the rest.
LIMIT = 25


def _headed_by(person):
    """The departments whose unassigned requests wait for ``person``: those they head, and their
    sections without a head of their own (the one rule: ``roles.heads_of``)."""
    headed = person.memberships.filter(is_head=True).values_list("department_id", flat=True)
    candidates = Department.objects.filter(Q(pk__in=headed) | Q(parent_id__in=headed))
    heads = heads_of(candidates.values_list("pk", flat=True))
    return [pk for pk, people in heads.items() if person in people]


@register
def service_work(person):
    if not person.is_authenticated or person.agency_id is None:
        return []
    today = timezone.localdate()
    mine = Q(assignee=person) | Q(assignee__isnull=True, department_id__in=_headed_by(person))
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
