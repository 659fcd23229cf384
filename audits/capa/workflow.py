"""Every change to nonconformities and actions (ISO 9001 10.2, 6.1.2).

Nonconformity and corrective action::

    open ──contain──► contained ──analyse──► analysed ──plan──► planned ──implement──► implemented
                          reopened ──analyse──┘                                         │ verify
                              ▲────────────────────── ineffective ◄─────────────────────┤
                                                                         effective ──► closed

Actions (corrective actions, management review decisions, risk treatments, self-assessment
improvements) are one table: open ──complete──► done ──verify.

Each function locks the rows it changes (``select_for_update`` inside ``transaction.atomic``),
checks who may act, records history with a reason, raises :class:`AuditRuleError` with a message
the person can act on, and queues notifications after commit.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms_portal.organisation.models import Person
from qms_portal.organisation.notifications import notify

from ..auditing.workflow import (
    AuditRuleError,
    _next_reference,
    _refuse_unless_in,
    _same_agency,
    _save,
    is_quality_manager_of,
    require_quality_manager,
)
from .models import Action, Nonconformity, escalation_after_days, verification_wait_days

NS = Nonconformity.Status

#: Allowed transitions: name → (from states, to state).
TRANSITIONS = {
    "nc_contain": ((NS.OPEN,), NS.CONTAINED),
    "nc_analyse": ((NS.CONTAINED, NS.REOPENED), NS.ANALYSED),
    "nc_plan": ((NS.ANALYSED,), NS.PLANNED),
    "nc_implement": ((NS.PLANNED,), NS.IMPLEMENTED),
    "nc_verify_effective": ((NS.IMPLEMENTED,), NS.CLOSED),
    "nc_verify_ineffective": ((NS.IMPLEMENTED,), NS.REOPENED),
}

# Lazy: a module-level gettext would freeze the language of whoever imported the module first.
_ACTION_NAMES = {
    "nc_contain": gettext_lazy("given a correction"),
    "nc_analyse": gettext_lazy("given a root cause"),
    "nc_plan": gettext_lazy("given an action plan"),
    "nc_implement": gettext_lazy("marked implemented"),
    "nc_verify_effective": gettext_lazy("verified"),
    "nc_verify_ineffective": gettext_lazy("verified"),
}


def _require_transition(obj, name):
    _refuse_unless_in(obj, TRANSITIONS[name][0], _ACTION_NAMES[name])


def _move(obj, name, *, actor, reason):
    obj.status = TRANSITIONS[name][1]
    _save(obj, actor=actor, reason=reason)


# --- Who may act ---------------------------------------------------------------------------


def can_work_on_nc(person, nc):
    """The responsible person and the quality managers take a nonconformity through its steps."""
    return person.pk == nc.owner_id or is_quality_manager_of(person, nc.agency_id)


# --- Nonconformities -----------------------------------------------------------------------


def _nc_create(*, actor, agency_id, source, description, department, severity, owner, **links):
    if severity not in Nonconformity.Severity.values:
        raise AuditRuleError(_("Choose the severity: minor or major."))
    if not (description or "").strip():
        raise AuditRuleError(_("Describe the nonconformity: what was found, where, against what."))
    if department.agency_id != agency_id:
        raise AuditRuleError(_("Choose a department of your own agency."))
    _same_agency([owner], agency_id, _("responsible for it"))
    year = timezone.localdate().year
    nc = Nonconformity(
        agency_id=agency_id,
        reference=_next_reference(Nonconformity, agency_id, "NC", year),
        source=source,
        description=description.strip(),
        department=department,
        severity=severity,
        owner=owner,
        raised_by=actor,
        **links,
    )
    _save(nc, actor=actor, reason=_("Nonconformity raised"))
    notify(
        recipient=owner,
        key=f"audits:nc:{nc.pk}:raised",
        subject=lambda: _("Nonconformity %(ref)s is yours to correct") % {"ref": nc.reference},
        body=lambda: nc.description,
        url=nc.get_absolute_url(),
        actor=actor,
    )
    return nc


@transaction.atomic
def nc_raise_from_request(*, actor, request_id, severity=Nonconformity.Severity.MINOR):
    """Turn a citizen complaint or a low rating into a nonconformity with one action (ISO 9001
    9.1.2 / 10.2): linked both ways, owned by the department's head, without the citizen's contact."""
    from services import workflow as service_workflow
    from services.models import ServiceRequest

    if not (actor.is_quality_manager or actor.is_auditor or actor.is_superuser):
        raise PermissionDenied(
            _("Only quality managers and auditors raise nonconformities from requests.")
        )
    request = (
        ServiceRequest.objects.select_for_update()
        .select_related("service", "department")
        .filter(pk=request_id, service__agency_id=actor.agency_id)
        .first()
    )
    if request is None:
        raise AuditRuleError(_("No such citizen request in your agency."))
    if not ServiceRequest.objects.nonconformity_candidates().filter(pk=request.pk).exists():
        raise AuditRuleError(
            _(
                "Request #%(id)s is neither a complaint nor rated 2 or lower, or already has a nonconformity."
            )
            % {"id": request.pk}
        )
    heads = (
        service_workflow.department_heads([request.department_id]).get(request.department_id) or []
    )
    owner = heads[0] if heads else actor
    rating = (
        _("Rated %(score)d/5: %(comment)s")
        % {"score": request.rating, "comment": request.rating_comment}
        if request.rating is not None
        else ""
    )
    description = "\n".join(
        part
        for part in [
            _("Citizen request #%(id)s, %(service)s (%(date)s):")
            % {
                "id": request.pk,
                "service": request.service.name_en or request.service.name_zh,
                "date": timezone.localtime(request.submitted_at).date().isoformat(),
            },
            request.description,
            rating,
        ]
        if part
    )
    nc = _nc_create(
        actor=actor,
        agency_id=actor.agency_id,
        source=Nonconformity.Source.COMPLAINT,
        description=description,
        department=request.department,
        severity=severity,
        owner=owner,
        service_request=request,
        source_reference=f"request #{request.pk}",
    )
    service_workflow.link_nonconformity(request_id=request.pk, actor=actor, reference=nc.reference)
    return nc


@transaction.atomic
def nc_raise(
    *,
    actor,
    source,
    description,
    department,
    severity,
    owner,
    clause=None,
    process=None,
    kpi=None,
    measurement=None,
    review=None,
    source_reference="",
):
    """Raise a nonconformity from any source other than an audit checklist (any agency member)."""
    if actor.is_certifier or actor.agency_id is None:
        raise PermissionDenied(_("Only people of the agency can raise nonconformities."))
    if source == Nonconformity.Source.AUDIT:
        raise AuditRuleError(_("Audit findings become nonconformities when the audit reports."))
    if source not in Nonconformity.Source.values:
        raise AuditRuleError(_("Choose where the nonconformity comes from."))
    if source == Nonconformity.Source.KPI and kpi is None:
        raise AuditRuleError(_("Name the KPI whose value was off target."))
    if kpi is not None and process is None:
        process = kpi.process
    if measurement is not None and measurement.kpi_id != getattr(kpi, "pk", None):
        raise AuditRuleError(_("The measurement must belong to the KPI named."))
    return _nc_create(
        actor=actor,
        agency_id=actor.agency_id,
        source=source,
        description=description,
        department=department,
        severity=severity,
        owner=owner,
        clause=clause,
        process=process,
        kpi=kpi,
        measurement=measurement,
        review=review,
        source_reference=(source_reference or "").strip(),
    )


def _lock_nc(nc_id):
    return Nonconformity.objects.select_for_update().select_related("owner").get(pk=nc_id)


def _require_nc_worker(actor, nc, step):
    if not can_work_on_nc(actor, nc):
        raise PermissionDenied(
            _("Only %(owner)s (responsible) or a quality manager can %(step)s %(ref)s.")
            % {"owner": nc.owner.display_name, "step": step, "ref": nc.reference}
        )


@transaction.atomic
def nc_contain(*, nc, actor, containment):
    """Record the immediate correction that contains the nonconformity."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("record the correction of"))
    _require_transition(nc, "nc_contain")
    if not (containment or "").strip():
        raise AuditRuleError(_("Say what was done to contain the problem (the correction)."))
    nc.containment = containment.strip()
    _move(nc, "nc_contain", actor=actor, reason=_("Correction recorded"))
    return nc


FISHBONE_CATEGORIES = ["people", "method", "machine", "material", "measurement", "environment"]


def _check_analysis(method, analysis, root_cause):
    if method == Nonconformity.RootCauseMethod.FIVE_WHYS:
        whys = [w.strip() for w in analysis.get("whys", []) if w and w.strip()]
        if len(whys) < 2:
            raise AuditRuleError(_("Ask “why?” at least twice before naming the root cause."))
        analysis = {"whys": whys[:5]}
    elif method == Nonconformity.RootCauseMethod.FISHBONE:
        causes = {
            key: value.strip()
            for key, value in analysis.get("categories", {}).items()
            if key in FISHBONE_CATEGORIES and value and value.strip()
        }
        if not causes:
            raise AuditRuleError(
                _(
                    "Fill in at least one fishbone category (people, method, machine, material, "
                    "measurement, environment)."
                )
            )
        analysis = {"categories": causes}
    else:
        raise AuditRuleError(_("Choose a root cause method: 5 whys or fishbone."))
    if not (root_cause or "").strip():
        raise AuditRuleError(_("State the root cause the analysis led to."))
    return analysis


@transaction.atomic
def nc_analyse(*, nc, actor, method, analysis, root_cause):
    """Record a structured root cause analysis (5 whys or fishbone categories)."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("analyse the root cause of"))
    _require_transition(nc, "nc_analyse")
    nc.root_cause_analysis = _check_analysis(method, analysis, root_cause)
    nc.root_cause_method = method
    nc.root_cause = root_cause.strip()
    _move(nc, "nc_analyse", actor=actor, reason=_("Root cause analysed"))
    return nc


@transaction.atomic
def nc_plan(*, nc, actor, actions):
    """Agree the corrective actions: ``actions`` is [{title, owner, due_date, description}]."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("plan the actions of"))
    _require_transition(nc, "nc_plan")
    if not actions:
        raise AuditRuleError(_("Plan at least one corrective action with an owner and a due date."))
    for fields in actions:
        _action_create(
            actor=actor,
            agency_id=nc.agency_id,
            kind=Action.Kind.CORRECTIVE,
            department=nc.department,
            nonconformity=nc,
            nc_round=nc.round,
            **fields,
        )
    _move(nc, "nc_plan", actor=actor, reason=_("Action plan agreed"))
    return nc


@transaction.atomic
def nc_implement(*, nc, actor):
    """All corrective actions are done: wait, then verify their effectiveness."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("mark implemented"))
    _require_transition(nc, "nc_implement")
    pending = nc.actions.filter(nc_round=nc.round, status=Action.Status.OPEN).count()
    if pending:
        raise AuditRuleError(
            _("%(count)d corrective actions are still open; complete them first.")
            % {"count": pending}
        )
    nc.implemented_at = timezone.now()
    nc.verification_due = timezone.localdate() + timedelta(days=verification_wait_days())
    _move(nc, "nc_implement", actor=actor, reason=_("Corrective actions implemented"))
    return nc


@transaction.atomic
def nc_verify(*, nc, actor, effective, notes, today=None):
    """A quality manager (not the responsible person) judges the actions effective or not.

    Effective closes the nonconformity; ineffective reopens it for a new analysis and plan.
    """
    nc = _lock_nc(nc.pk)
    require_quality_manager(
        actor, nc.agency_id, _("verify the effectiveness of corrective actions")
    )
    if actor.pk == nc.owner_id:
        raise PermissionDenied(
            _("You are responsible for %(ref)s; another quality manager must verify it.")
            % {"ref": nc.reference}
        )
    name = "nc_verify_effective" if effective else "nc_verify_ineffective"
    _require_transition(nc, name)
    today = today or timezone.localdate()
    if nc.verification_due and today < nc.verification_due:
        raise AuditRuleError(
            _(
                "Effectiveness can be verified from %(date)s, once the actions have had time to "
                "work."
            )
            % {"date": nc.verification_due.isoformat()}
        )
    if not (notes or "").strip():
        raise AuditRuleError(_("Record the evidence of (in)effectiveness in the notes."))
    nc.verified_by, nc.verified_at = actor, timezone.now()
    nc.verification_notes = notes.strip()
    if effective:
        nc.closed_at = timezone.now()
        _move(nc, name, actor=actor, reason=_("Verified effective; closed"))
    else:
        nc.round += 1
        nc.implemented_at = nc.verification_due = None
        _move(nc, name, actor=actor, reason=_("Verified ineffective; reopened"))
        notify(
            recipient=nc.owner,
            key=f"audits:nc:{nc.pk}:reopened:{nc.round}",
            subject=lambda: (
                _("%(ref)s was reopened: the actions did not work") % {"ref": nc.reference}
            ),
            body=lambda: nc.verification_notes,
            url=nc.get_absolute_url(),
            actor=actor,
        )
    return nc


# --- Actions -------------------------------------------------------------------------------


def _action_create(*, actor, agency_id, kind, title, owner, due_date, description="", **links):
    if not (title or "").strip():
        raise AuditRuleError(_("Say what is to be done."))
    if owner is None or due_date is None:
        raise AuditRuleError(_("Every action needs an owner and a due date."))
    _same_agency([owner], agency_id, _("the owner of an action"))
    if due_date < timezone.localdate():
        raise AuditRuleError(
            _("The due date %(date)s is in the past; choose a future date.")
            % {"date": due_date.isoformat()}
        )
    action = Action(
        agency_id=agency_id,
        kind=kind,
        title=title.strip(),
        description=(description or "").strip(),
        owner=owner,
        due_date=due_date,
        created_by=actor,
        **links,
    )
    _save(action, actor=actor, reason=_("Action created"))
    notify(
        recipient=owner,
        key=f"audits:action:{action.pk}:assigned",
        subject=lambda: _("New action for you: %(title)s") % {"title": action.title},
        body=lambda: _("Due %(date)s.") % {"date": due_date.isoformat()},
        url=action.get_absolute_url(),
        actor=actor,
    )
    return action


@transaction.atomic
def risk_action_create(*, risk, actor, title, owner, due_date, description=""):
    """Track a risk treatment as an action (its owner or a quality manager)."""
    from processes.access import require_edit

    require_edit(actor, risk.process)
    return _action_create(
        actor=actor,
        agency_id=risk.process.agency_id,
        kind=Action.Kind.RISK,
        title=title,
        owner=owner,
        due_date=due_date,
        description=description,
        risk=risk,
        department=risk.process.department,
    )


def _lock_action(action_id):
    return Action.objects.select_for_update().select_related("owner").get(pk=action_id)


@transaction.atomic
def action_complete(*, action, actor, note):
    """The owner (or a quality manager) reports the action done."""
    action = _lock_action(action.pk)
    if not (actor.pk == action.owner_id or is_quality_manager_of(actor, action.agency_id)):
        raise PermissionDenied(
            _("Only %(owner)s or a quality manager can complete this action.")
            % {"owner": action.owner.display_name}
        )
    if action.status != Action.Status.OPEN:
        raise AuditRuleError(
            _("This action is %(status)s already.")
            % {"status": action.get_status_display().lower()}
        )
    if not (note or "").strip():
        raise AuditRuleError(_("Say what was done, so it can be verified."))
    action.status = Action.Status.DONE
    action.completed_at = timezone.now()
    action.completion_note = note.strip()
    _save(action, actor=actor, reason=_("Action completed"))
    return action


@transaction.atomic
def action_verify(*, action, actor, verification):
    """A quality manager records the check that a completed action worked."""
    action = _lock_action(action.pk)
    require_quality_manager(actor, action.agency_id, _("verify actions"))
    if action.status != Action.Status.DONE:
        raise AuditRuleError(_("Only completed actions can be verified."))
    if not (verification or "").strip():
        raise AuditRuleError(_("Record how you checked that the action worked."))
    action.verification = verification.strip()
    action.verified_by, action.verified_at = actor, timezone.now()
    _save(action, actor=actor, reason=_("Action verified"))
    return action


def overdue_reminder_key(action):
    return f"audits:action:{action.pk}:overdue:{action.due_date.isoformat()}"


def remind_overdue_actions(*, today=None):
    """Remind owners of overdue actions; escalate to quality managers after a grace period.

    One reminder per action and due date (notify keys), and the escalation is claimed with a
    conditional update, so running it twice changes nothing. Returns (reminded, escalated).
    """
    today = today or timezone.localdate()
    reminded = escalated = 0
    overdue = Action.objects.overdue(today).select_related("owner")
    for action in overdue.iterator(chunk_size=500):
        _n, created = notify(
            recipient=action.owner,
            key=overdue_reminder_key(action),
            subject=lambda: _("Overdue action: %(title)s") % {"title": action.title},
            body=lambda: (
                _("This action was due on %(date)s. Complete it or agree a new date.")
                % {"date": action.due_date.isoformat()}
            ),
            url=action.get_absolute_url(),
        )
        reminded += created
    limit = today - timedelta(days=escalation_after_days())
    to_escalate = Action.objects.overdue(today).filter(due_date__lt=limit, escalated_at=None)
    managers = {}
    for action in to_escalate.select_related("owner"):
        with transaction.atomic():  # claimed under a row lock, saved with history
            claimed = (
                Action.objects.select_for_update().filter(pk=action.pk, escalated_at=None).first()
            )
            if claimed is None:
                continue
            claimed.escalated_at = timezone.now()
            claimed._change_reason = "escalated to quality managers"
            claimed.save(update_fields=["escalated_at"])
        if action.agency_id not in managers:
            managers[action.agency_id] = list(
                Person.objects.filter(agency_id=action.agency_id, is_active=True).with_role(
                    "Quality manager"
                )
            )
        for manager in managers[action.agency_id]:
            notify(
                recipient=manager,
                key=f"audits:action:{action.pk}:escalated:{manager.pk}",
                subject=lambda: (
                    _("Escalated: %(title)s is %(days)d days overdue")
                    % {"title": action.title, "days": (today - action.due_date).days}
                ),
                body=lambda: (
                    _("Owner: %(owner)s. Due %(date)s.")
                    % {"owner": action.owner.display_name, "date": action.due_date.isoformat()}
                ),
                url=action.get_absolute_url(),
            )
        escalated += 1
    return reminded, escalated
