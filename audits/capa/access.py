"""Who may see and do what with nonconformities and actions: the predicates the workflow enforces
and the pages offer as steps, and loading one nonconformity or action for a person.

404 when the person may not see it at all; 403 when they may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qms_portal.organisation.roles import is_quality_manager_of

from .models import Action, Nonconformity

# --- Who may act on a nonconformity (the steps of ``workflow.NC_MACHINE``) -------------------


def can_work_on_nc(person, nc):
    """The responsible person and the quality managers take a nonconformity through its steps."""
    return person.pk == nc.owner_id or is_quality_manager_of(person, nc.agency_id)


def can_verify_nc(person, nc):
    """Someone other than the responsible person judges effectiveness (ISO 9001 10.2.1 d): a
    quality manager of the agency, or, for a nonconformity a quality manager is responsible for,
    the agency's named verification deputy, so an agency with one quality manager can still close
    that manager's own nonconformities independently."""
    if not person.is_authenticated or person.pk == nc.owner_id:
        return False
    if is_quality_manager_of(person, nc.agency_id):
        return True
    return is_verification_deputy_for(person, nc)


def can_void_nc(person, nc):
    """A nonconformity raised in error is voided by those who could verify it — someone other
    than the responsible person (a quality manager, or the verification deputy for a quality
    manager's own) — never once it is closed: a verified nonconformity is retained evidence."""
    return not nc.is_void and nc.status != Nonconformity.Status.CLOSED and can_verify_nc(person, nc)


def is_verification_deputy_for(person, nc):
    """The agency's verification deputy, on a nonconformity a quality manager is responsible for."""
    return (
        person.is_active
        and person.pk == nc.agency.verification_deputy_id
        and nc.owner.is_quality_manager
    )


def can_raise_from_request(person):
    """Quality managers and auditors turn a citizen complaint into a nonconformity."""
    return bool(person.is_quality_manager or person.is_auditor or person.is_superuser)


# --- Who may act on an action (the steps of ``workflow.ACTION_MACHINE``) ----------------------


def can_complete_action(person, action):
    """The action's owner or a quality manager reports it done."""
    return person.pk == action.owner_id or is_quality_manager_of(person, action.agency_id)


def can_verify_action(person, action):
    """A quality manager records the check that a completed action worked."""
    return is_quality_manager_of(person, action.agency_id)


# --- Loading one record for a person ------------------------------------------------------


def get_nc_for(person, pk, *, to="view"):
    nc = (
        Nonconformity.all_records.visible_to(person)  # a void one still opens, marked void
        .select_related(
            "agency", "owner", "raised_by", "department", "process", "clause", "audit", "kpi"
        )
        .filter(pk=pk)
        .first()
    )
    if nc is None:
        raise Http404(_("No such nonconformity."))
    if to == "work" and not can_work_on_nc(person, nc):
        raise PermissionDenied(
            _("Only %(owner)s (responsible) or a quality manager can change %(ref)s.")
            % {"owner": nc.owner.display_name, "ref": nc.reference}
        )
    return nc


def get_action_for(person, pk, *, to="view"):
    action = (
        Action.objects.visible_to(person)
        .select_related("owner", "nonconformity", "review", "risk__process", "department")
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404(pgettext("corrective action", "No such action."))
    return action
