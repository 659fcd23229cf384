"""Who may do what with a citizen request, and loading one request for a person.

The predicates are the one definition of each rule: the workflow enforces them, the request
machine offers steps by them, and pages hide what they forbid.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_administrator_of, is_quality_manager_of

from .models import ServiceRequest


def can_handle(person, request):
    """Staff of the responsible department (and its sections), quality managers, administrators."""
    if not person.is_authenticated or not person.is_active:
        return False
    agency_id = request.service.agency_id
    if is_quality_manager_of(person, agency_id) or is_administrator_of(person, agency_id):
        return True  # a superuser too
    return person.agency_id == agency_id and request.department_id in person.department_ids


def require_handler(person, request):
    """Raise ``PermissionDenied`` naming who may handle the request, unless ``person`` may."""
    if not can_handle(person, request):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can handle request #%(id)s.")
            % {"department": request.department.name, "id": request.pk}
        )


def can_raise_nonconformity(person, request):
    """Quality managers and auditors of the request's agency (ISO 9001 10.2: a complaint or a low
    rating becomes a nonconformity)."""
    agency_id = request.service.agency_id
    if is_quality_manager_of(person, agency_id):
        return True  # a superuser too
    return bool(
        person.is_authenticated
        and person.is_active
        and person.is_auditor
        and person.agency_id == agency_id
    )


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
    if to == "handle":
        require_handler(person, request)
    return request


def can_manage_calendar(person):
    """Quality managers and administrators keep the agency's holiday calendar."""
    return bool(
        person.is_authenticated
        and person.agency_id
        and (person.is_quality_manager or person.is_administrator)
    )
