"""Loading one audit programme, audit or checklist item for a person, with the lists' own rule.

404 when the person may not see it at all (another agency, a department not theirs, a department
not shared with a certifier); 403 when they may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from . import workflow
from .models import Audit, AuditProgramme, ChecklistItem


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
