"""Who may do what to a process, KPI or risk, and loading one for a person with the lists' rule.

404 when the person may not see it at all (another agency, a department not shared with a
certifier); 403 when they may see it but not change it. The role rules themselves ("quality
manager of this agency") live in :mod:`qms_portal.organisation.roles`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_quality_manager_of

from .models import Interaction, Kpi, Measurement, Process, Risk


def process_of(obj):
    """The process a record belongs to (its definition decides who may change the record)."""
    if isinstance(obj, Process):
        return obj
    if isinstance(obj, Interaction):
        return obj.source
    if isinstance(obj, Measurement):
        return obj.kpi.process
    return obj.process


def can_edit_process(person, process):
    """The process owner and the agency's quality managers edit a process and its KPIs and risks."""
    if is_quality_manager_of(person, process.agency_id):
        return True
    if not person.is_authenticated or not person.is_active or person.is_certifier:
        return False
    return person.agency_id == process.agency_id and person.pk == process.owner_id


def can_edit(person, obj):
    """``can_edit_process`` for the process the record (KPI, measurement, risk, link) belongs to."""
    return can_edit_process(person, process_of(obj))


def can_create_process(person):
    """Quality managers define the agency's processes and name their owners."""
    if not person.is_authenticated:
        return False
    return person.is_superuser or (
        person.agency_id is not None and is_quality_manager_of(person, person.agency_id)
    )


def require_edit(person, process):
    """Raise ``PermissionDenied`` (403) unless the person may change the process."""
    if not can_edit_process(person, process):
        raise PermissionDenied(
            _("Only the owner of %(process)s (%(owner)s) or a quality manager can change it.")
            % {"process": process.code, "owner": process.owner.display_name}
        )


def _get_for(person, queryset, pk, *, to, missing):
    """One visible record or 404; with ``to="edit"``, 403 unless the person may change it."""
    obj = queryset.visible_to(person).filter(pk=pk).first()
    if obj is None:
        raise Http404(missing)
    if to == "edit":
        require_edit(person, process_of(obj))
    return obj


def get_process_for(person, pk, *, to="view"):
    processes = Process.objects.select_related("owner", "department", "agency")
    return _get_for(person, processes, pk, to=to, missing=_("No such process."))


def get_kpi_for(person, pk, *, to="view"):
    kpis = Kpi.objects.select_related("process__owner", "process__department")
    return _get_for(person, kpis, pk, to=to, missing=_("No such KPI."))


def get_measurement_for(person, pk, *, to="view"):
    measurements = Measurement.objects.select_related("kpi__process__owner")
    return _get_for(person, measurements, pk, to=to, missing=_("No such measurement."))


def get_risk_for(person, pk, *, to="view"):
    risks = Risk.objects.select_related("process__owner", "owner")
    return _get_for(person, risks, pk, to=to, missing=_("No such risk or opportunity."))


def get_interaction_for(person, pk, *, to="view"):
    interactions = Interaction.objects.select_related("source__owner")
    return _get_for(person, interactions, pk, to=to, missing=_("No such interaction."))
