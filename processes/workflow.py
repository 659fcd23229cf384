"""Changes to processes, interactions, KPIs, measurements and risks.

Every write is a function here: it checks who may do it, locks what it changes, and raises
:class:`ProcessRuleError` with a message the person can act on. Views and tasks call these.

Processes, KPIs and risks have no status of their own (a KPI's traffic light is derived from its
values), so there is no state machine here: every step a page offers is a change of the process's
definition, taken by its owner or a quality manager (:data:`STEPS`, :func:`available_steps`).
"""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qms_portal.errors import RuleError
from qms_portal.history_reasons import reason as reason_with
from qms_portal.organisation.notifications import notify
from qms_portal.statemachine import save_with_history
from qms_portal.voiding import void_record

from . import access, periods
from .access import can_create_process, require_edit
from .models import (
    Interaction,
    Kpi,
    Measurement,
    Process,
    ProcessInput,
    ProcessOutput,
    Risk,
    missing_measurements,
)


class ProcessRuleError(RuleError):
    """A change that breaks a rule; the message says what to do instead.

    400: the pages answer a refused form with 400, as before the shared kernel."""

    status_code = 400


#: The steps a page offers on each kind of record, in the order of its buttons. All of them change
#: the process's definition, so all are its editors' (``access.can_edit``).
STEPS = {
    Process: ("edit", "add_kpi", "add_risk", "add_interaction"),
    Interaction: ("remove_interaction",),
    Kpi: ("record_value", "edit"),
    Measurement: ("correct", "void"),
    Risk: ("edit", "track_action"),
}


def available_steps(obj, person):
    """The steps ``person`` may take on ``obj`` now: the buttons its page shows (none on a
    voided measurement: it is kept as it was)."""
    if getattr(obj, "is_void", False):
        return []
    return list(STEPS[type(obj)]) if access.can_edit(person, obj) else []


PROCESS_FIELDS = [
    "code",
    "name",
    "category",
    "owner",
    "department",
    "purpose",
    "scope",
    "resources",
    "controls",
    "is_active",
]


def _check_same_agency(agency_id, *, owner, department):
    if department.agency_id != agency_id:
        raise ProcessRuleError(_("Choose a department of your own agency."))
    if owner.agency_id != agency_id:
        raise ProcessRuleError(_("Choose a process owner from your own agency."))


@contextmanager
def _refusing_clashes(instance):
    """A unique constraint hit while saving ``instance`` is a refusal, not a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise ProcessRuleError(
            _("This clashes with an existing record: %(detail)s")
            % {"detail": _unique_hint(instance)}
        ) from error


def _unique_hint(instance):
    if isinstance(instance, Process):
        return _("the code %(code)s is already used by another process.") % {"code": instance.code}
    if isinstance(instance, Measurement):
        return _("a value for this period is already recorded.")
    return _("the same entry already exists.")


def _sync_rows(model, process, rows, party_field, *, actor):
    """Make the process's SIPOC rows equal ``rows`` [(name, party)], keeping unchanged rows."""
    existing = list(model.objects.filter(process=process))
    wanted = [(name, party) for name, party in rows]
    keep = {}
    for row in existing:
        key = (row.name, getattr(row, party_field))
        if key in wanted and key not in keep:
            keep[key] = row
        else:
            row._history_user = actor
            row.delete()
    for position, key in enumerate(wanted):
        row = keep.get(key) or model(process=process, name=key[0], **{party_field: key[1]})
        if row.pk is None or row.position != position:
            row.position = position
            save_with_history(row, actor=actor, reason=None)


@transaction.atomic
def process_create(*, actor, fields, clauses=(), inputs=(), outputs=(), documents=()):
    """Define a new process of the actor's agency (quality managers only)."""
    if not can_create_process(actor):
        raise ProcessRuleError(_("Only a quality manager can define a new process."))
    agency_id = fields["department"].agency_id
    if not actor.is_superuser and agency_id != actor.agency_id:
        raise ProcessRuleError(_("Choose a department of your own agency."))
    _check_same_agency(agency_id, owner=fields["owner"], department=fields["department"])
    process = Process(agency_id=agency_id, **{k: fields[k] for k in PROCESS_FIELDS if k in fields})
    with _refusing_clashes(process):
        save_with_history(process, actor=actor, reason=gettext_noop("Process defined"))
    process._change_reason = gettext_noop("ISO 9001 clauses set")
    process.clauses.set(clauses)
    _set_documents(process, documents)
    _sync_rows(ProcessInput, process, inputs, "supplier", actor=actor)
    _sync_rows(ProcessOutput, process, outputs, "customer", actor=actor)
    return process


def _set_documents(process, documents):
    """Link controlled documents of the same agency (ISO 9001 4.4.2: documented information)."""
    documents = list(documents)
    if any(d.agency_id != process.agency_id for d in documents):
        raise ProcessRuleError(_("Link only documents of the process's own agency."))
    process._change_reason = gettext_noop("Controlled documents linked")
    process.documents.set(documents)


@transaction.atomic
def process_update(
    *, process, actor, fields, clauses=None, inputs=None, outputs=None, documents=None, reason=""
):
    """Change a process definition (its owner or a quality manager)."""
    process = (
        Process.objects.select_for_update(of=("self",)).select_related("owner").get(pk=process.pk)
    )
    require_edit(actor, process)
    for name in PROCESS_FIELDS:
        if name in fields:
            setattr(process, name, fields[name])
    _check_same_agency(process.agency_id, owner=process.owner, department=process.department)
    with _refusing_clashes(process):
        save_with_history(
            process,
            actor=actor,
            reason=reason_with(gettext_noop("Process definition changed"), reason),
        )
    if clauses is not None:
        process._change_reason = gettext_noop("ISO 9001 clauses changed")
        process.clauses.set(clauses)
    if documents is not None:
        _set_documents(process, documents)
    if inputs is not None:
        _sync_rows(ProcessInput, process, inputs, "supplier", actor=actor)
    if outputs is not None:
        _sync_rows(ProcessOutput, process, outputs, "customer", actor=actor)
    return process


@transaction.atomic
def interaction_add(*, source, target, output, actor):
    """Record that ``output`` of ``source`` feeds ``target``. Cycles are fine, self-links not."""
    require_edit(actor, source)
    if source.pk == target.pk:
        raise ProcessRuleError(
            _("A process cannot feed itself. Choose another process to receive “%(output)s”.")
            % {"output": output}
        )
    if source.agency_id != target.agency_id:
        raise ProcessRuleError(_("Processes of different agencies cannot be linked."))
    output = output.strip()
    if not output:
        raise ProcessRuleError(
            _("Say what flows from %(code)s, for example “approved permit”.")
            % {"code": source.code}
        )
    if Interaction.objects.filter(source=source, target=target, output=output).exists():
        raise ProcessRuleError(
            _("%(source)s already feeds “%(output)s” to %(target)s.")
            % {"source": source.code, "output": output, "target": target.code}
        )
    interaction = Interaction(source=source, target=target, output=output)
    with _refusing_clashes(interaction):
        save_with_history(interaction, actor=actor, reason=gettext_noop("Interaction added"))
    return interaction


@transaction.atomic
def interaction_remove(*, interaction, actor):
    require_edit(actor, interaction.source)
    interaction._history_user = actor
    interaction.delete()


def _check_thresholds(kpi):
    """The target is on the green side, amber between, red beyond: say which way they go."""
    values = (kpi.target, kpi.amber_threshold, kpi.red_threshold)
    if kpi.direction == Kpi.Direction.HIGHER_IS_BETTER and not values[0] >= values[1] >= values[2]:
        raise ProcessRuleError(
            _(
                "Higher is better, so the target must be at least the amber threshold, "
                "and the amber threshold at least the red threshold."
            )
        )
    if kpi.direction == Kpi.Direction.LOWER_IS_BETTER and not values[0] <= values[1] <= values[2]:
        raise ProcessRuleError(
            _(
                "Lower is better, so the target must be at most the amber threshold, "
                "and the amber threshold at most the red threshold."
            )
        )


KPI_FIELDS = [
    "name",
    "unit",
    "target",
    "direction",
    "frequency",
    "amber_threshold",
    "red_threshold",
    "is_active",
]


@transaction.atomic
def kpi_create(*, process, actor, fields):
    require_edit(actor, process)
    kpi = Kpi(process=process, **{k: fields[k] for k in KPI_FIELDS if k in fields})
    _check_thresholds(kpi)
    with _refusing_clashes(kpi):
        save_with_history(kpi, actor=actor, reason=gettext_noop("KPI defined"))
    return kpi


@transaction.atomic
def kpi_update(*, kpi, actor, fields, reason=""):
    kpi = (
        Kpi.objects.select_for_update(of=("self",)).select_related("process__owner").get(pk=kpi.pk)
    )
    require_edit(actor, kpi.process)
    if "frequency" in fields and fields["frequency"] != kpi.frequency and kpi.measurements.exists():
        raise ProcessRuleError(
            _(
                "This KPI already has measurements, so its frequency cannot change. "
                "Define a new KPI with the new frequency instead."
            )
        )
    for name in KPI_FIELDS:
        if name in fields:
            setattr(kpi, name, fields[name])
    _check_thresholds(kpi)
    with _refusing_clashes(kpi):
        save_with_history(kpi, actor=actor, reason=reason_with(gettext_noop("KPI changed"), reason))
    return kpi


def _check_period(kpi, period):
    if not periods.is_period_start(period, kpi.frequency):
        raise ProcessRuleError(
            _("%(date)s does not start a %(frequency)s period; choose a period from the list.")
            % {"date": period.isoformat(), "frequency": kpi.get_frequency_display().lower()}
        )
    if period > timezone.localdate():
        raise ProcessRuleError(
            _("%(period)s has not started yet; measure it once it has.")
            % {"period": kpi.period_label(period)}
        )


@transaction.atomic
def measurement_record(*, kpi, period, value, actor, note=""):
    """Record the KPI's value for one period; a period already measured is corrected instead."""
    kpi = (
        Kpi.objects.select_for_update(of=("self",)).select_related("process__owner").get(pk=kpi.pk)
    )
    require_edit(actor, kpi.process)
    _check_period(kpi, period)
    if kpi.measurements.filter(period=period).exists():
        raise ProcessRuleError(
            _(
                "%(period)s already has a value. To change it, correct that measurement and give "
                "a reason."
            )
            % {"period": kpi.period_label(period)}
        )
    measurement = Measurement(kpi=kpi, period=period, value=value, note=note, recorded_by=actor)
    with _refusing_clashes(measurement):
        save_with_history(measurement, actor=actor, reason=gettext_noop("Measurement recorded"))
    return measurement


@transaction.atomic
def measurement_correct(*, measurement, value, reason, actor, note=None):
    """Correct a recorded value; the old value stays in history with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ProcessRuleError(_("Say why the value is corrected; the reason is kept in history."))
    measurement = (
        Measurement.objects.select_for_update(of=("self",))
        .select_related("kpi__process__owner")
        .get(pk=measurement.pk)
    )
    require_edit(actor, measurement.kpi.process)
    if measurement.value == value and (note is None or note == measurement.note):
        raise ProcessRuleError(
            _("The new value is the same as the recorded one; nothing to correct.")
        )
    measurement.value = value
    if note is not None:
        measurement.note = note
    measurement.recorded_by = actor
    measurement.recorded_at = timezone.now()
    save_with_history(
        measurement, actor=actor, reason=reason_with(gettext_noop("Corrected"), reason)
    )
    return measurement


@transaction.atomic
def measurement_void(*, measurement, reason, actor):
    """Void a value recorded in error (entered twice, for the wrong KPI): it is kept and shown as
    void, left out of every figure, and its period may be measured again. The process's owner or
    a quality manager, with a reason; a value that is merely wrong is corrected instead."""
    measurement = (
        Measurement.all_records.select_for_update(of=("self",))
        .select_related("kpi__process__owner")
        .get(pk=measurement.pk)
    )
    require_edit(actor, measurement.kpi.process)
    return void_record(measurement, actor=actor, reason=reason, error=ProcessRuleError)


measurement_void.alters_data = True


RISK_FIELDS = [
    "kind",
    "description",
    "likelihood",
    "impact",
    "treatment",
    "owner",
    "review_date",
    "is_closed",
]


def _check_risk(risk):
    for name in ("likelihood", "impact"):
        if getattr(risk, name) not in range(1, 6):
            label = risk._meta.get_field(name).verbose_name
            raise ProcessRuleError(_("Rate %(name)s from 1 to 5.") % {"name": label})
    if risk.owner.agency_id != risk.process.agency_id:
        raise ProcessRuleError(_("Choose a risk owner from the process's agency."))


@transaction.atomic
def risk_create(*, process, actor, fields):
    require_edit(actor, process)
    risk = Risk(process=process, **{k: fields[k] for k in RISK_FIELDS if k in fields})
    _check_risk(risk)
    save_with_history(risk, actor=actor, reason=gettext_noop("Risk recorded"))
    return risk


@transaction.atomic
def risk_update(*, risk, actor, fields, reason=""):
    risk = (
        Risk.objects.select_for_update(of=("self",))
        .select_related("process__owner")
        .get(pk=risk.pk)
    )
    require_edit(actor, risk.process)
    for name in RISK_FIELDS:
        if name in fields:
            setattr(risk, name, fields[name])
    _check_risk(risk)
    save_with_history(
        risk, actor=actor, reason=reason_with(gettext_noop("Risk reassessed"), reason)
    )
    return risk


def overdue_reminder_key(kpi, period):
    return f"processes:kpi:{kpi.pk}:{period.isoformat()}:overdue"


def remind_overdue_measurements(*, today=None):
    """Remind process owners of measurements past due; one reminder per KPI and period."""
    today = today or timezone.localdate()
    kpis = Kpi.objects.active().select_related("process__owner")
    sent = 0
    for kpi, period in missing_measurements(kpis, today=today):
        if periods.due_date(period, kpi.frequency) >= today:
            continue
        _notification, created = notify(
            recipient=kpi.process.owner,
            key=overdue_reminder_key(kpi, period),
            subject=lambda: (
                _("Overdue: %(kpi)s for %(period)s")
                % {"kpi": kpi.name, "period": kpi.period_label(period)}
            ),
            body=lambda: (
                _(
                    "The value of “%(kpi)s” (%(process)s) for %(period)s was due on %(due)s. "
                    "Please record it in the portal."
                )
                % {
                    "kpi": kpi.name,
                    "process": kpi.process,
                    "period": kpi.period_label(period),
                    "due": periods.due_date(period, kpi.frequency).isoformat(),
                }
            ),
            url=kpi.get_absolute_url(),
        )
        sent += created
    return sent
