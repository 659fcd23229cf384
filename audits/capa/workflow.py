"""Every change to nonconformities and actions (ISO 9001 10.2, 6.1.2).

Nonconformity and corrective action::

    open ──contain──► contained ──analyse──► analysed ──plan──► planned ──implement──► implemented
                          reopened ──analyse──┘                                         │ verify
                              ▲────────────────────── ineffective ◄─────────────────────┤
                                                                         effective ──► closed

Actions (corrective actions, management review decisions, risk treatments, self-assessment
improvements) are one table: open ──complete──► done ──verify.

The steps are declared once (``NC_MACHINE``, ``ACTION_MACHINE``) with the predicates of
``access.py``; pages offer ``available_steps``. Each function locks the row it changes
(``select_for_update(of=("self",))`` inside ``transaction.atomic``), checks who may act, moves the
state through the machine with a stable history reason, raises :class:`CapaError` with a message
the person can act on, and queues notifications after commit.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from qms_portal import sequences
from qms_portal.history_reasons import reason as history_reason
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import heads_of, quality_managers_of
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history
from qms_portal.voiding import void_record

from ..auditing.workflow import AuditRuleError, _same_agency
from . import access
from .models import Action, Nonconformity, escalation_after_days, verification_wait_days

NS = Nonconformity.Status
AS = Action.Status


class CapaError(AuditRuleError):
    """A rule of corrective action was broken; the message says what to do (a 400 page, as
    before: ``AuditRuleError`` is the audits domains' ``RuleError``)."""


#: The nonconformity's steps (ISO 9001 10.2); names are the step pages' slugs.
NC_MACHINE = StateMachine(
    Transition(
        "contain",
        sources=[NS.OPEN],
        target=NS.CONTAINED,
        label=pgettext_lazy("step", "given a correction"),
        allowed=access.can_work_on_nc,
    ),
    Transition(
        "analyse",
        sources=[NS.CONTAINED, NS.REOPENED],
        target=NS.ANALYSED,
        label=pgettext_lazy("step", "given a root cause"),
        allowed=access.can_work_on_nc,
    ),
    Transition(
        "plan",
        sources=[NS.ANALYSED],
        target=NS.PLANNED,
        label=pgettext_lazy("step", "given an action plan"),
        allowed=access.can_work_on_nc,
    ),
    Transition(
        "implement",
        sources=[NS.PLANNED],
        target=NS.IMPLEMENTED,
        label=pgettext_lazy("step", "marked implemented"),
        allowed=access.can_work_on_nc,
    ),
    Transition(
        "verify_effective",
        sources=[NS.IMPLEMENTED],
        target=NS.CLOSED,
        label=pgettext_lazy("step", "verified"),
        allowed=access.can_verify_nc,
    ),
    Transition(
        "verify_ineffective",
        sources=[NS.IMPLEMENTED],
        target=NS.REOPENED,
        label=pgettext_lazy("step", "verified"),
        allowed=access.can_verify_nc,
    ),
    model=Nonconformity,
    tones={
        NS.OPEN: Tone.BAD,
        NS.REOPENED: Tone.BAD,
        NS.CONTAINED: Tone.WARN,
        NS.ANALYSED: Tone.WARN,
        NS.PLANNED: Tone.WARN,
        NS.IMPLEMENTED: Tone.INFO,
        NS.CLOSED: Tone.OK,
    },
    error=CapaError,
)

#: Machine steps offered on the page as one step (the verification form says which way).
_PAGE_STEP = {"verify_effective": "verify", "verify_ineffective": "verify"}


def _describe_action(action):
    return _("The action “%(title)s”") % {"title": action.title}


#: The action's steps: open ──complete──► done, then a quality manager records the check.
ACTION_MACHINE = StateMachine(
    Transition(
        "complete",
        sources=[AS.OPEN],
        target=AS.DONE,
        label=pgettext_lazy("step", "completed"),
        allowed=access.can_complete_action,
    ),
    Transition(
        "verify",
        sources=[AS.DONE],
        target=None,
        label=pgettext_lazy("step", "verified"),
        allowed=access.can_verify_action,
    ),
    model=Action,
    tones={AS.OPEN: Tone.WARN, AS.DONE: Tone.OK},
    describe=_describe_action,
    error=CapaError,
)


def available_steps(nc, person, *, today=None):
    """The steps of the nonconformity page this person may take now; verification is offered
    once the waiting period after implementation is over."""
    steps = []
    for name in NC_MACHINE.available(nc, person):
        step = _PAGE_STEP.get(name, name)
        if step not in steps:
            steps.append(step)
    if "verify" in steps and not nc.may_be_verified_on(today):
        steps.remove("verify")
    if access.can_void_nc(person, nc):
        steps.append("void")
    return steps


def available_action_steps(action, person):
    """The steps of the action page this person may take now (an action is verified once)."""
    return [
        name
        for name in ACTION_MACHINE.available(action, person)
        if name != "verify" or action.awaits_verification
    ]


def _require(allowed, message):
    if not allowed:
        raise PermissionDenied(message)


# --- Nonconformities -----------------------------------------------------------------------


def _nc_create(*, actor, agency_id, source, description, department, severity, owner, **links):
    if severity not in Nonconformity.Severity.values:
        raise CapaError(_("Choose the severity: minor or major."))
    if not (description or "").strip():
        raise CapaError(_("Describe the nonconformity: what was found, where, against what."))
    if department.agency_id != agency_id:
        raise CapaError(_("Choose a department of your own agency."))
    _same_agency([owner], agency_id, _("responsible for it"))
    year = timezone.localdate().year
    nc = Nonconformity(
        agency_id=agency_id,
        reference=sequences.next_reference(Nonconformity, agency_id, "NC", year),
        source=source,
        description=description.strip(),
        department=department,
        severity=severity,
        owner=owner,
        raised_by=actor,
        **links,
    )
    save_with_history(nc, actor=actor, reason=gettext_noop("Nonconformity raised"))
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

    _require(
        access.can_raise_from_request(actor),
        _("Only quality managers and auditors raise nonconformities from requests."),
    )
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("service", "department")
        .filter(pk=request_id, service__agency_id=actor.agency_id)
        .first()
    )
    if request is None:
        raise CapaError(_("No such citizen request in your agency."))
    if not ServiceRequest.objects.nonconformity_candidates().filter(pk=request.pk).exists():
        raise CapaError(
            _(
                "Request #%(id)s is neither a complaint nor rated 2 or lower, or already has a nonconformity."
            )
            % {"id": request.pk}
        )
    heads = heads_of([request.department_id]).get(request.department_id) or []
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
        raise CapaError(_("Audit findings become nonconformities when the audit reports."))
    if source not in Nonconformity.Source.values:
        raise CapaError(_("Choose where the nonconformity comes from."))
    if source == Nonconformity.Source.KPI and kpi is None:
        raise CapaError(_("Name the KPI whose value was off target."))
    if kpi is not None and process is None:
        process = kpi.process
    if measurement is not None and measurement.kpi_id != getattr(kpi, "pk", None):
        raise CapaError(_("The measurement must belong to the KPI named."))
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
    return (
        Nonconformity.all_records.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=nc_id)
    )


def _require_nc_worker(actor, nc, step):
    _require(
        access.can_work_on_nc(actor, nc),
        _("Only %(owner)s (responsible) or a quality manager can %(step)s %(ref)s.")
        % {"owner": nc.owner.display_name, "step": step, "ref": nc.reference},
    )


@transaction.atomic
def nc_contain(*, nc, actor, containment):
    """Record the immediate correction that contains the nonconformity."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("record the correction of"))
    NC_MACHINE.require(nc, "contain")
    if not (containment or "").strip():
        raise CapaError(_("Say what was done to contain the problem (the correction)."))
    NC_MACHINE.move(
        nc,
        "contain",
        actor=actor,
        reason=gettext_noop("Correction recorded"),
        containment=containment.strip(),
    )
    return nc


FISHBONE_CATEGORIES = ["people", "method", "machine", "material", "measurement", "environment"]


def _check_analysis(method, analysis, root_cause):
    if method == Nonconformity.RootCauseMethod.FIVE_WHYS:
        whys = [w.strip() for w in analysis.get("whys", []) if w and w.strip()]
        if len(whys) < 2:
            raise CapaError(_("Ask “why?” at least twice before naming the root cause."))
        analysis = {"whys": whys[:5]}
    elif method == Nonconformity.RootCauseMethod.FISHBONE:
        causes = {
            key: value.strip()
            for key, value in analysis.get("categories", {}).items()
            if key in FISHBONE_CATEGORIES and value and value.strip()
        }
        if not causes:
            raise CapaError(
                _(
                    "Fill in at least one fishbone category (people, method, machine, material, "
                    "measurement, environment)."
                )
            )
        analysis = {"categories": causes}
    else:
        raise CapaError(_("Choose a root cause method: 5 whys or fishbone."))
    if not (root_cause or "").strip():
        raise CapaError(_("State the root cause the analysis led to."))
    return analysis


@transaction.atomic
def nc_void(*, nc, actor, reason):
    """Void a nonconformity raised in error (a duplicate, the wrong department): kept with its
    history and shown as void, counted by no figure; its open actions are cancelled with it.
    Only someone who could verify it may (``access.can_void_nc``), and never once closed."""
    nc = _lock_nc(nc.pk)
    if nc.status == NS.CLOSED:
        raise CapaError(
            _(
                "%(ref)s is closed: its effectiveness was verified, so it is kept as it is and "
                "cannot be voided."
            )
            % {"ref": nc.reference}
        )
    _require(
        nc.is_void or access.can_void_nc(actor, nc),  # a second void: void_record says so
        _(
            "Only a quality manager other than the responsible person (or the agency's "
            "verification deputy) can void %(ref)s."
        )
        % {"ref": nc.reference},
    )
    void_record(nc, actor=actor, reason=reason, error=CapaError)
    for action in nc.actions.select_for_update(of=("self",)).filter(status=AS.OPEN):
        action.status = AS.CANCELLED
        save_with_history(
            action,
            actor=actor,
            reason=history_reason(
                gettext_noop("Cancelled: its nonconformity was voided"), nc.void_reason
            ),
            update_fields=["status"],
        )
    return nc


nc_void.alters_data = True


@transaction.atomic
def nc_analyse(*, nc, actor, method, analysis, root_cause):
    """Record a structured root cause analysis (5 whys or fishbone categories)."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("analyse the root cause of"))
    NC_MACHINE.require(nc, "analyse")
    NC_MACHINE.move(
        nc,
        "analyse",
        actor=actor,
        reason=gettext_noop("Root cause analysed"),
        root_cause_analysis=_check_analysis(method, analysis, root_cause),
        root_cause_method=method,
        root_cause=root_cause.strip(),
    )
    return nc


@transaction.atomic
def nc_plan(*, nc, actor, actions):
    """Agree the corrective actions: ``actions`` is [{title, owner, due_date, description}]."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("plan the actions of"))
    NC_MACHINE.require(nc, "plan")
    if not actions:
        raise CapaError(_("Plan at least one corrective action with an owner and a due date."))
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
    NC_MACHINE.move(nc, "plan", actor=actor, reason=gettext_noop("Action plan agreed"))
    return nc


@transaction.atomic
def nc_implement(*, nc, actor):
    """All corrective actions are done: wait, then verify their effectiveness."""
    nc = _lock_nc(nc.pk)
    _require_nc_worker(actor, nc, _("mark implemented"))
    NC_MACHINE.require(nc, "implement")
    pending = nc.actions.filter(nc_round=nc.round, status=AS.OPEN).count()
    if pending:
        raise CapaError(
            _("%(count)d corrective actions are still open; complete them first.")
            % {"count": pending}
        )
    NC_MACHINE.move(
        nc,
        "implement",
        actor=actor,
        reason=gettext_noop("Corrective actions implemented"),
        implemented_at=timezone.now(),
        verification_due=timezone.localdate() + timedelta(days=verification_wait_days()),
    )
    return nc


@transaction.atomic
def nc_verify(*, nc, actor, effective, notes, today=None):
    """A quality manager (not the responsible person) judges the actions effective or not.

    Effective closes the nonconformity; ineffective reopens it for a new analysis and plan.
    """
    nc = _lock_nc(nc.pk)
    _require(
        access.can_verify_nc(actor, nc),
        _(
            "You are responsible for %(ref)s; another quality manager, or the agency's "
            "verification deputy, must verify it."
        )
        % {"ref": nc.reference}
        if actor.pk == nc.owner_id
        else _("Only a quality manager can %(what)s.")
        % {"what": _("verify the effectiveness of corrective actions")},
    )
    name = "verify_effective" if effective else "verify_ineffective"
    NC_MACHINE.require(nc, name)
    if not nc.may_be_verified_on(today):
        raise CapaError(
            _(
                "Effectiveness can be verified from %(date)s, once the actions have had time to "
                "work."
            )
            % {"date": nc.verification_due.isoformat()}
        )
    if not (notes or "").strip():
        raise CapaError(_("Record the evidence of (in)effectiveness in the notes."))
    verified = {
        "verified_by": actor,
        "verified_at": timezone.now(),
        "verification_notes": notes.strip(),
    }
    if effective:
        NC_MACHINE.move(
            nc,
            name,
            actor=actor,
            reason=gettext_noop("Verified effective; closed"),
            closed_at=timezone.now(),
            **verified,
        )
    else:
        NC_MACHINE.move(
            nc,
            name,
            actor=actor,
            reason=gettext_noop("Verified ineffective; reopened"),
            round=nc.round + 1,
            implemented_at=None,
            verification_due=None,
            **verified,
        )
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
        raise CapaError(_("Say what is to be done."))
    if owner is None or due_date is None:
        raise CapaError(_("Every action needs an owner and a due date."))
    _same_agency([owner], agency_id, _("the owner of an action"))
    if due_date < timezone.localdate():
        raise CapaError(
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
    save_with_history(action, actor=actor, reason=gettext_noop("Action created"))
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
    return Action.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action_id)


@transaction.atomic
def action_complete(*, action, actor, note):
    """The owner (or a quality manager) reports the action done."""
    action = _lock_action(action.pk)
    _require(
        access.can_complete_action(actor, action),
        _("Only %(owner)s or a quality manager can complete this action.")
        % {"owner": action.owner.display_name},
    )
    ACTION_MACHINE.require(action, "complete")
    if not (note or "").strip():
        raise CapaError(_("Say what was done, so it can be verified."))
    return ACTION_MACHINE.move(
        action,
        "complete",
        actor=actor,
        reason=gettext_noop("Action completed"),
        completed_at=timezone.now(),
        completion_note=note.strip(),
    )


@transaction.atomic
def action_verify(*, action, actor, verification):
    """A quality manager records, once, the check that a completed action worked."""
    action = _lock_action(action.pk)
    _require(
        access.can_verify_action(actor, action),
        _("Only a quality manager can %(what)s.") % {"what": _("verify actions")},
    )
    if not ACTION_MACHINE.state_allows(action, "verify"):
        raise CapaError(_("Only completed actions can be verified."))
    if not action.awaits_verification:
        raise CapaError(_("This action has been verified already."))
    if not (verification or "").strip():
        raise CapaError(_("Record how you checked that the action worked."))
    return ACTION_MACHINE.move(
        action,
        "verify",
        actor=actor,
        reason=gettext_noop("Action verified"),
        verification=verification.strip(),
        verified_by=actor,
        verified_at=timezone.now(),
    )


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
                Action.objects.select_for_update(of=("self",))
                .filter(pk=action.pk, escalated_at=None)
                .first()
            )
            if claimed is None:
                continue
            claimed.escalated_at = timezone.now()
            save_with_history(
                claimed,
                actor=None,
                reason=gettext_noop("Escalated to quality managers"),
                update_fields=["escalated_at"],
            )
        if action.agency_id not in managers:
            managers[action.agency_id] = list(quality_managers_of(action.agency_id))
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
