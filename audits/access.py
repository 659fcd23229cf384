"""Loading one audit, nonconformity, action or review for a person, with the lists' own rule.

404 when the person may not see it at all (another agency, a department not theirs, a department
not shared with a certifier); 403 when they may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import workflow
from .models import Action, Audit, AuditProgramme, ChecklistItem, ManagementReview, Nonconformity


def can_see_dashboard(person):
    return person.is_authenticated and (
        person.is_superuser
        or (person.agency_id is not None and (person.is_quality_manager or person.is_administrator))
    )


def get_programme_for(person, pk, *, to="view"):
    programme = AuditProgramme.objects.visible_to(person).select_related("agency").filter(pk=pk)
    programme = programme.first()
    if programme is None:
        raise Http404(_("No such audit programme."))
    if to == "plan":
        workflow.require_quality_manager(person, programme.agency_id, _("plan audits"))
    return programme


def get_audit_for(person, pk, *, to="view"):
    audit = (
        Audit.objects.visible_to(person)
        .select_related("agency", "programme", "department", "lead_auditor")
        .filter(pk=pk)
        .first()
    )
    if audit is None:
        raise Http404(_("No such audit."))
    if to == "run" and not workflow.can_run_audit(person, audit):
        raise PermissionDenied(_("Only the lead auditor or a quality manager can do this."))
    if to == "work" and not (
        workflow.is_audit_team(person, audit)
        or workflow.is_quality_manager_of(person, audit.agency_id)
    ):
        raise PermissionDenied(_("Only the audit team or a quality manager can do this."))
    return audit


def get_item_for(person, pk, *, to="view"):
    item = ChecklistItem.objects.filter(pk=pk).select_related("audit").first()
    if item is None:
        raise Http404(_("No such checklist item."))
    get_audit_for(person, item.audit_id, to=to)
    return item


def get_nc_for(person, pk, *, to="view"):
    nc = (
        Nonconformity.objects.visible_to(person)
        .select_related("owner", "raised_by", "department", "process", "clause", "audit", "kpi")
        .filter(pk=pk)
        .first()
    )
    if nc is None:
        raise Http404(_("No such nonconformity."))
    if to == "work" and not workflow.can_work_on_nc(person, nc):
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


def get_review_for(person, pk, *, to="view"):
    review = (
        ManagementReview.objects.visible_to(person)
        .select_related("chair", "agency")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404(_("No such management review."))
    return review
