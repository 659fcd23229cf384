"""Loading one request for a person, with the same rule the queue uses."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from . import workflow
from .models import ServiceRequest


def get_request_for(person, pk, *, to="view"):
    """The request, or 404 when the person may not see it; 403 when they may see but not act."""
    request = (
        ServiceRequest.objects.visible_to(person)
        .select_related("service", "service__agency", "department", "assignee")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404(_("No such request."))
    if to == "handle" and not workflow.can_handle(person, request):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can handle request #%(id)s.")
            % {"department": request.department.name, "id": request.pk}
        )
    return request


def can_manage_calendar(person):
    """Quality managers and administrators keep the agency's holiday calendar."""
    return (
        person.is_authenticated
        and person.agency_id
        and (person.is_quality_manager or person.is_administrator)
    )
