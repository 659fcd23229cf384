"""Who may do what with retention records, and loading one run or hold for a person.

The schedule, holds and runs are managed by the agency's quality managers and administrators; a
run is approved by a quality manager or the agency's verification deputy (top management), never
by the person who proposed it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_administrator_of, is_quality_manager_of

from .models import DisposalRun, LegalHold


def can_manage(person, agency_id):
    """Quality managers and administrators keep the schedule, place holds and propose runs."""
    return is_quality_manager_of(person, agency_id) or is_administrator_of(person, agency_id)


def is_top_management_of(person, agency):
    return (
        person.is_authenticated and person.is_active and person.pk == agency.verification_deputy_id
    )


def can_approve(person, run):
    """Another quality manager, or top management, approves: never the proposer."""
    if person.pk == run.proposed_by_id:
        return False
    return is_quality_manager_of(person, run.agency_id) or is_top_management_of(person, run.agency)


def can_execute(person, run):
    return can_manage(person, run.agency_id)


def can_withdraw(person, run):
    return can_manage(person, run.agency_id)


def can_view(person):
    return person.is_authenticated and (
        person.is_superuser
        or (
            person.agency_id is not None
            and (
                person.is_quality_manager
                or person.is_auditor
                or person.is_administrator
                or is_top_management_of(person, person.agency)
            )
        )
    )


def require_view(person):
    if not can_view(person):
        raise PermissionDenied(
            _("Retention and disposal are for quality managers, auditors and administrators.")
        )


def require_manage(person):
    if not can_manage(person, person.agency_id):
        raise PermissionDenied(
            _("Only a quality manager or an administrator can change retention and holds.")
        )


def get_run_for(person, pk):
    run = DisposalRun.objects.visible_to(person).select_related("agency").filter(pk=pk).first()
    if run is None:
        raise Http404(_("No such disposal run."))
    return run


def get_hold_for(person, pk):
    hold = LegalHold.objects.visible_to(person).filter(pk=pk).first()
    if hold is None:
        raise Http404(_("No such legal hold."))
    return hold
