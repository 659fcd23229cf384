"""Loading one process, KPI or risk for a person, with the same rule the lists use.

404 when the person may not see it at all (another agency, a department not shared with a
certifier); 403 when they may see it but not change it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Kpi, Measurement, Process, Risk


def can_edit_process(person, process):
    """The process owner and the agency's quality managers edit a process and its KPIs and risks."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser:
        return True
    if person.is_certifier or person.agency_id != process.agency_id:
        return False
    return person.pk == process.owner_id or person.is_quality_manager


def can_create_process(person):
    """Quality managers define the agency's processes and name their owners."""
    return person.is_authenticated and (
        person.is_superuser or (person.is_quality_manager and person.agency_id is not None)
    )


def require_edit(person, process):
    if not can_edit_process(person, process):
        raise PermissionDenied(
            _("Only the owner of %(process)s (%(owner)s) or a quality manager can change it.")
            % {"process": process.code, "owner": process.owner.display_name}
        )


def get_process_for(person, pk, *, to="view"):
    process = (
        Process.objects.visible_to(person)
        .select_related("owner", "department", "agency")
        .filter(pk=pk)
        .first()
    )
    if process is None:
        raise Http404(_("No such process."))
    if to == "edit":
        require_edit(person, process)
    return process


def get_kpi_for(person, pk, *, to="view"):
    kpi = (
        Kpi.objects.visible_to(person)
        .select_related("process__owner", "process__department")
        .filter(pk=pk)
        .first()
    )
    if kpi is None:
        raise Http404(_("No such KPI."))
    if to == "edit":
        require_edit(person, kpi.process)
    return kpi


def get_measurement_for(person, pk, *, to="view"):
    measurement = (
        Measurement.objects.visible_to(person)
        .select_related("kpi__process__owner")
        .filter(pk=pk)
        .first()
    )
    if measurement is None:
        raise Http404(_("No such measurement."))
    if to == "edit":
        require_edit(person, measurement.kpi.process)
    return measurement


def get_risk_for(person, pk, *, to="view"):
    risk = (
        Risk.objects.visible_to(person)
        .select_related("process__owner", "owner")
        .filter(pk=pk)
        .first()
    )
    if risk is None:
        raise Http404(_("No such risk or opportunity."))
    if to == "edit":
        require_edit(person, risk.process)
    return risk
