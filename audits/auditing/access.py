"""Who may do what in internal audits, and loading one programme, audit or checklist item.

The predicates are the ``allowed=`` rules of ``workflow.MACHINE`` (so a page offers a step exactly
when the workflow accepts it). Loading: 404 when the person may not see the record at all (another
agency, a department not theirs, a department not shared with a certifier); 403 when they may see
it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_head_of, is_quality_manager_of

from .models import Audit, AuditProgramme, ChecklistItem

# Who may do what ---------------------------------------------------------------------------------


def can_plan(person, agency_id):
    """Set up the programme and plan audits in it: the agency's quality managers."""
    return is_quality_manager_of(person, agency_id)


def require_quality_manager(person, agency_id, what):
    if not is_quality_manager_of(person, agency_id):
        raise PermissionDenied(_("Only a quality manager can %(what)s.") % {"what": what})


def is_audit_team(person, audit):
    return person.pk == audit.lead_auditor_id or audit.team.filter(pk=person.pk).exists()


def audited_departments(audit, processes=None):
    """The departments an audit looks into: its department (and the one a section belongs to),
    the departments running its processes, and their sections."""
    from qms_portal.organisation.models import Department

    cached = processes is None and getattr(audit, "_audited_department_ids", None)
    if cached:
        return cached  # one page asks for every step: two queries, not two per step
    planned = audit.processes.all() if processes is None else processes
    audited = {audit.department_id, audit.department.parent_id} - {None}
    audited |= {process.department_id for process in planned}
    audited |= set(Department.objects.filter(parent_id__in=audited).values_list("pk", flat=True))
    if processes is None:
        audit._audited_department_ids = audited
    return audited


def is_independent_of(person, audit, processes=None):
    """ISO 9001 9.2.2 c: nobody audits a department they belong to, nor a process it runs."""
    return not (person.department_ids & audited_departments(audit, processes))


def can_run_audit(person, audit):
    """Independence, for everyone (quality managers included): only the lead auditor starts,
    reports and closes an audit."""
    return person.pk == audit.lead_auditor_id and is_independent_of(person, audit)


def can_work_on(person, audit):
    """Only the audit team keeps the checklist and records results, and only while independent of
    the audited department (someone who joined it since planning no longer may)."""
    return is_audit_team(person, audit) and is_independent_of(person, audit)


def is_lead_auditor(person, audit):
    return person.pk == audit.lead_auditor_id


def may_change_finding(person, item):
    """A result the lead auditor recorded is changed only by the lead auditor."""
    return item.assessed_by_id != item.audit.lead_auditor_id or is_lead_auditor(person, item.audit)


def can_sign_for_auditee(person, audit):
    """A named auditee, or the head of the audited department (or of the one it belongs to)."""
    return audit.auditees.filter(pk=person.pk).exists() or is_head_of(person, audit.department)


# Loading one record for a person -----------------------------------------------------------------


def get_programme_for(person, pk, *, to="view"):
    programme = AuditProgramme.objects.visible_to(person).select_related("agency").filter(pk=pk)
    programme = programme.first()
    if programme is None:
        raise Http404(_("No such audit programme."))
    if to == "plan":
        require_quality_manager(person, programme.agency_id, _("plan audits"))
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
    if to == "run" and not can_run_audit(person, audit):
        raise PermissionDenied(_("Only the lead auditor can do this."))
    if to == "work" and not can_work_on(person, audit):
        raise PermissionDenied(_("Only the audit team can do this."))
    return audit


def get_item_for(person, pk, *, to="view"):
    item = ChecklistItem.objects.filter(pk=pk).select_related("audit").first()
    if item is None:
        raise Http404(_("No such checklist item."))
    get_audit_for(person, item.audit_id, to=to)
    return item
