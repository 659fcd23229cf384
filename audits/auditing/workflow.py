"""Every change to audit programmes, audits, their checklists and report signatures (ISO 9001 9.2).

Audit::

    planned ──start──► in progress ──report──► reporting ──close (both signatures)──► closed

The steps are declared once (:data:`MACHINE`, with the predicates of ``access.py``); each
function locks the rows it changes (``select_for_update`` inside ``transaction.atomic``), checks
the step with the machine, records history with a stable reason, raises :class:`AuditRuleError` with a message
the person can act on, and queues notifications after commit. The rule error, the history helpers,
the reference numbering and the signature recording are also used by the CAPA and management
review workflows, which import them from here.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from qms_portal import sequences, uploads
from qms_portal.errors import RuleError
from qms_portal.history_reasons import reason as history_reason
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import heads_of
from qms_portal.signatures import record_signature
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access

# Re-exported: the CAPA, review and assessment workflows import these from here until the merge.
from .access import require_quality_manager
from .models import Audit, AuditProgramme, ChecklistItem, Evidence, ReportSignature

AS = Audit.Status


class AuditRuleError(RuleError):
    """A change that breaks a rule; the message says what to do instead (a 400 refusal page)."""

    status_code = 400


_WORK = gettext_lazy("Only the audit team can edit the checklist.")

#: The audit's steps. ``start``, ``report`` and ``close`` move it; the others keep its state but
#: are offered and checked the same way (the checklist is kept while the audit is planned or in
#: progress, results and evidence recorded while it is in progress, the report signed in
#: reporting).
MACHINE = StateMachine(
    Transition(
        "start",
        sources=[AS.PLANNED],
        target=AS.IN_PROGRESS,
        label=pgettext_lazy("step", "started"),
        allowed=access.can_run_audit,
        refusal=gettext_lazy("Only the lead auditor can start the audit."),
    ),
    Transition(
        "generate_checklist",
        sources=[AS.PLANNED, AS.IN_PROGRESS],
        target=None,
        label=pgettext_lazy("step", "given a generated checklist"),
        allowed=access.can_work_on,
        refusal=_WORK,
    ),
    Transition(
        "add_item",
        sources=[AS.PLANNED, AS.IN_PROGRESS],
        target=None,
        label=pgettext_lazy("step", "given a new checklist question"),
        allowed=access.can_work_on,
        refusal=_WORK,
    ),
    Transition(
        "remove_item",
        sources=[AS.PLANNED, AS.IN_PROGRESS],
        target=None,
        label=pgettext_lazy("step", "changed"),
        allowed=access.can_work_on,
        refusal=_WORK,
    ),
    Transition(
        "record_result",
        sources=[AS.IN_PROGRESS],
        target=None,
        label=pgettext_lazy("step", "given checklist results"),
        allowed=access.can_work_on,
        refusal=gettext_lazy("Only the audit team can record results."),
    ),
    Transition(
        "attach_evidence",
        sources=[AS.IN_PROGRESS],
        target=None,
        label=pgettext_lazy("step", "given evidence"),
        allowed=access.can_work_on,
        refusal=gettext_lazy("Only the audit team can record results."),
    ),
    Transition(
        "report",
        sources=[AS.IN_PROGRESS],
        target=AS.REPORTING,
        label=pgettext_lazy("step", "moved to reporting"),
        allowed=access.can_run_audit,
        refusal=gettext_lazy("Only the lead auditor can end the audit."),
    ),
    Transition(
        "sign_as_lead_auditor",
        sources=[AS.REPORTING],
        target=None,
        label=pgettext_lazy("step", "signed"),
        allowed=access.is_lead_auditor,
        refusal=gettext_lazy("Only the lead auditor signs as lead auditor."),
    ),
    Transition(
        "sign_as_auditee",
        sources=[AS.REPORTING],
        target=None,
        label=pgettext_lazy("step", "signed"),
        allowed=access.can_sign_for_auditee,
    ),
    Transition(
        "close",
        sources=[AS.REPORTING],
        target=AS.CLOSED,
        label=pgettext_lazy("step", "closed"),
        allowed=access.can_run_audit,
        refusal=gettext_lazy("Only the lead auditor can close the audit."),
    ),
    model=Audit,
    tones={
        AS.PLANNED: Tone.NEUTRAL,
        AS.IN_PROGRESS: Tone.INFO,
        AS.REPORTING: Tone.WARN,
        AS.CLOSED: Tone.OK,
    },
    error=AuditRuleError,
)

#: The signature step of each meaning.
SIGN_STEPS = {
    ReportSignature.Meaning.LEAD_AUDITOR: "sign_as_lead_auditor",
    ReportSignature.Meaning.AUDITEE: "sign_as_auditee",
}


def available_steps(audit, person):
    """What the person may do on the audit page now: the machine's steps where the page has
    something to act on (an item to record or remove, a signature not given yet, both signatures
    before closing), and downloading the report (anyone who sees the audit)."""
    steps = set(MACHINE.available(audit, person))
    items = list(audit.checklist.prefetch_related("attachments"))
    if not items:
        steps -= {"record_result", "attach_evidence"}
    if not any(item.is_removable for item in items):
        steps.discard("remove_item")
    if not audit.clauses.exists():
        steps.discard("generate_checklist")
    signed = set(audit.signatures.values_list("meaning", flat=True))
    steps -= {SIGN_STEPS[meaning] for meaning in signed if meaning in SIGN_STEPS}
    if not set(SIGN_STEPS) <= signed:
        steps.discard("close")
    return [*(name for name in MACHINE.names if name in steps), "download_report"]


def programme_steps(programme, person):
    """What the person may do on the programme page: plan an audit in it (quality managers)."""
    return ["plan_audit"] if access.can_plan(person, programme.agency_id) else []


# --- Helpers the other audit workflows share -------------------------------------------------


def _same_agency(people, agency_id, role):
    for person in people:
        if person.agency_id != agency_id or not person.is_active:
            raise AuditRuleError(
                _("%(person)s cannot be %(role)s: choose someone of the agency.")
                % {"person": person.display_name, "role": role}
            )


# --- Audit programme and planning ----------------------------------------------------------


@transaction.atomic
def programme_create(*, actor, agency, year, title, objectives=""):
    """Start the yearly audit programme (quality managers)."""
    require_quality_manager(actor, agency.pk, _("set up the audit programme"))
    if AuditProgramme.objects.filter(agency=agency, year=year).exists():
        raise AuditRuleError(
            _("There is already an audit programme for %(year)s; add audits to it.")
            % {"year": year}
        )
    programme = AuditProgramme(agency=agency, year=year, title=title, objectives=objectives)
    save_with_history(programme, actor=actor, reason=gettext_noop("Audit programme created"))
    return programme


def _check_auditors(audit, team, processes):
    """Auditors hold the role, belong to the agency and are independent (ISO 9001 9.2.2 c):
    nobody audits their own department (or a section of it), nor a process it runs."""
    auditors = [audit.lead_auditor, *team]
    _same_agency(auditors, audit.agency_id, _("an auditor"))
    for person in auditors:
        if not (person.is_auditor or person.is_quality_manager):
            raise AuditRuleError(
                _("%(person)s does not hold the auditor role; choose a trained auditor.")
                % {"person": person.display_name}
            )
    for person in auditors:
        if not access.is_independent_of(person, audit, processes):
            raise AuditRuleError(
                _(
                    "%(person)s works in the audited department, and an auditor may not audit "
                    "their own department. Choose an auditor from another department."
                )
                % {"person": person.display_name}
            )


def _check_dates(start, end, what):
    if start and end and end < start:
        raise AuditRuleError(
            _("The %(what)s end (%(end)s) is before its start (%(start)s); correct the dates.")
            % {"what": what, "start": start.isoformat(), "end": end.isoformat()}
        )


@transaction.atomic
def audit_plan(
    *,
    actor,
    programme,
    title,
    department,
    scope,
    lead_auditor,
    planned_start,
    planned_end,
    audit_type=Audit.Type.INTERNAL,
    processes=(),
    clauses=(),
    team=(),
    auditees=(),
):
    """Plan an audit in the programme (quality managers). Checks dates and auditor independence."""
    programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=programme.pk)
    require_quality_manager(actor, programme.agency_id, _("plan audits"))
    _check_dates(planned_start, planned_end, _("planned"))
    if planned_start.year != programme.year:
        raise AuditRuleError(
            _("The audit starts in %(start)s but the programme is for %(year)s.")
            % {"start": planned_start.year, "year": programme.year}
        )
    if department.agency_id != programme.agency_id:
        raise AuditRuleError(_("Choose a department of your own agency."))
    processes, team, auditees = list(processes), list(team), list(auditees)
    if any(p.agency_id != programme.agency_id for p in processes):
        raise AuditRuleError(_("Choose processes of your own agency."))
    _same_agency(auditees, programme.agency_id, _("an auditee"))
    audit = Audit(
        agency_id=programme.agency_id,
        programme=programme,
        reference=sequences.next_reference(Audit, programme.agency_id, "IA", programme.year),
        title=title,
        audit_type=audit_type,
        department=department,
        scope=scope,
        lead_auditor=lead_auditor,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    _check_auditors(audit, team, processes)
    save_with_history(audit, actor=actor, reason=gettext_noop("Audit planned"))
    audit._change_reason = gettext_noop("Scope and team set")
    audit.processes.set(processes)
    audit.clauses.set(clauses)
    audit.team.set(team)
    audit.auditees.set(auditees)
    for person in {lead_auditor, *team}:
        notify(
            recipient=person,
            key=f"audits:audit:{audit.pk}:team:{person.pk}",
            subject=lambda: _("You are on the audit team of %(audit)s") % {"audit": audit},
            body=lambda: (
                _("Planned from %(start)s to %(end)s.")
                % {"start": planned_start.isoformat(), "end": planned_end.isoformat()}
            ),
            url=audit.get_absolute_url(),
            actor=actor,
        )
    return audit


def _lock_audit(audit_id):
    return (
        Audit.objects.select_for_update(of=("self",))
        .select_related("department", "agency", "programme")
        .get(pk=audit_id)
    )


@transaction.atomic
def audit_start(*, audit, actor, on=None):
    """Open the audit: checklist results can now be recorded."""
    audit = _lock_audit(audit.pk)
    MACHINE.require(audit, "start", actor)
    _check_auditors(audit, list(audit.team.all()), list(audit.processes.all()))
    audit.actual_start = on or timezone.localdate()
    if audit.actual_start > timezone.localdate():
        raise AuditRuleError(_("An audit cannot start in the future; start it on the day."))
    if not audit.checklist.exists():
        _generate_checklist(audit)
    MACHINE.move(audit, "start", actor=actor, reason=gettext_noop("Audit started"))
    return audit


@transaction.atomic
def audit_report(*, audit, actor, summary, on=None):
    """End the fieldwork: every checklist item needs a result; findings become nonconformities."""
    audit = _lock_audit(audit.pk)
    MACHINE.require(audit, "report", actor)
    open_items = audit.checklist.filter(result="").count()
    if open_items:
        raise AuditRuleError(
            _(
                "%(count)d checklist items have no result yet; record them (or mark them not "
                "applicable) before reporting."
            )
            % {"count": open_items}
        )
    if not (summary or "").strip():
        raise AuditRuleError(_("Write the audit conclusion before moving to reporting."))
    audit.actual_end = on or timezone.localdate()
    _check_dates(audit.actual_start, audit.actual_end, _("audit"))
    audit.summary = summary.strip()
    MACHINE.move(
        audit, "report", actor=actor, reason=gettext_noop("Fieldwork ended; report drafted")
    )
    findings = audit.checklist.filter(
        result__in=[ChecklistItem.Result.MINOR, ChecklistItem.Result.MAJOR],
        nonconformity__isnull=True,
    ).select_related("clause", "process")
    for item in findings:
        _raise_from_finding(audit, item, actor=actor)
    return audit


def _raise_from_finding(audit, item, *, actor):
    from ..capa.models import Nonconformity  # CAPA builds on audits, not the reverse
    from ..capa.workflow import _nc_create

    owner = _department_head(audit.department) or audit.lead_auditor
    return _nc_create(
        actor=actor,
        agency_id=audit.agency_id,
        source=Nonconformity.Source.AUDIT,
        description=item.evidence or item.question,
        department=audit.department,
        severity=item.result,
        owner=owner,
        clause=item.clause,
        process=item.process,
        audit=audit,
        finding=item,
    )


def _department_head(department):
    """Who owns a finding's nonconformity: the department's head (a section falls back to its
    department's), the first by id when there are several."""
    heads = heads_of([department.pk]).get(department.pk, [])
    return min(heads, key=lambda person: person.pk, default=None)


@transaction.atomic
def audit_close(*, audit, actor):
    """Close the audit once the lead auditor and the auditee representative have signed."""
    audit = _lock_audit(audit.pk)
    MACHINE.require(audit, "close", actor)
    signatures = {s.meaning: s for s in audit.signatures.select_related("audit")}
    for meaning in (ReportSignature.Meaning.LEAD_AUDITOR, ReportSignature.Meaning.AUDITEE):
        if meaning not in signatures:
            raise AuditRuleError(
                _("The report still needs the signature of the %(role)s.")
                % {"role": ReportSignature.Meaning(meaning).label.lower()}
            )
        if not signatures[meaning].is_intact():
            raise AuditRuleError(
                _("The report changed after %(name)s signed; it must be signed again.")
                % {"name": signatures[meaning].printed_name}
            )
    MACHINE.move(audit, "close", actor=actor, reason=gettext_noop("Audit report signed and closed"))
    return audit


# --- Checklist -----------------------------------------------------------------------------


def _generate_checklist(audit):
    """One question per clause in the criteria for each process in scope that addresses it, and
    one per clause no process in scope addresses. Existing items are kept (safe to run again)."""
    clauses = list(audit.clauses.all())
    processes = list(audit.processes.prefetch_related("clauses"))
    existing = set(audit.checklist.values_list("clause_id", "process_id"))
    position = audit.checklist.count()
    created = []
    for clause in clauses:
        owners = [p for p in processes if clause in p.clauses.all()] or [None]
        for process in owners:
            if (clause.pk, process.pk if process else None) in existing:
                continue
            question = (
                _("How does %(process)s meet clause %(clause)s?")
                % {"process": process.code, "clause": clause}
                if process
                else _("How is clause %(clause)s met?") % {"clause": clause}
            )
            created.append(
                ChecklistItem(
                    audit=audit,
                    clause=clause,
                    process=process,
                    question=question,
                    position=position,
                )
            )
            position += 1
    for item in created:
        save_with_history(
            item, actor=None, reason=gettext_noop("Generated from the audit criteria")
        )
    return created


def _require(audit, step, actor, when_not):
    """``MACHINE.require`` with the step's own sentence (``when_not``, given the audit's status)
    when the audit's state forbids it."""
    try:
        return MACHINE.require(audit, step, actor)
    except AuditRuleError:
        status = audit.get_status_display().lower()
        raise AuditRuleError(when_not % {"status": status}) from None


def _require_checklist_editable(audit, actor, step):
    _require(audit, step, actor, _("The audit is %(status)s; its checklist is frozen."))


@transaction.atomic
def checklist_generate(*, audit, actor):
    audit = _lock_audit(audit.pk)
    _require_checklist_editable(audit, actor, "generate_checklist")
    if not audit.clauses.exists():
        raise AuditRuleError(
            _("Add clauses to the audit criteria first; the checklist follows them.")
        )
    return _generate_checklist(audit)


@transaction.atomic
def checklist_add(*, audit, actor, question, clause=None, process=None):
    audit = _lock_audit(audit.pk)
    _require_checklist_editable(audit, actor, "add_item")
    if not (question or "").strip():
        raise AuditRuleError(_("Write the question to ask."))
    item = ChecklistItem(
        audit=audit,
        question=question.strip(),
        clause=clause,
        process=process,
        position=audit.checklist.count(),
    )
    try:
        with transaction.atomic():
            save_with_history(item, actor=actor, reason=gettext_noop("Question added"))
    except IntegrityError as error:
        raise AuditRuleError(
            _("The checklist already has a question for this clause and process.")
        ) from error
    return item


@transaction.atomic
def checklist_remove(*, item, actor):
    audit = _lock_audit(item.audit_id)
    _require_checklist_editable(audit, actor, "remove_item")
    item = ChecklistItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if not item.is_removable:
        raise AuditRuleError(_("This question has a result or evidence; it cannot be removed."))
    item._history_user = actor
    item.delete()


def check_evidence_file(upload, agency):
    return uploads.check_upload(upload, folder=f"audits/{agency.code}")


def _check_finding_change(item, actor, result, evidence, reason):
    """A recorded result changes only with a reason (kept in the history), and a result the lead
    auditor recorded only by the lead auditor; returns the history reason."""
    if not item.assessed_by_id or (item.result, item.evidence) == (result, evidence):
        return gettext_noop("Result recorded")
    if not access.may_change_finding(actor, item):
        raise PermissionDenied(
            _("Only the lead auditor changes a result the lead auditor recorded.")
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise AuditRuleError(
            _("This result was recorded already; say why you change it (kept in the history).")
        )
    return history_reason(gettext_noop("Result changed"), reason)


def checklist_record(*, item, actor, result, evidence="", question=None, upload=None, reason=""):
    """Record an auditor's result for one item, with notes and optionally a file. Changing a
    recorded result needs a reason; the lead auditor's results are the lead auditor's to change."""
    if result not in ChecklistItem.Result.values:
        raise AuditRuleError(_("Choose a result from the list."))
    if result in (ChecklistItem.Result.MINOR, ChecklistItem.Result.MAJOR) and not evidence.strip():
        raise AuditRuleError(
            _("Describe the objective evidence for a nonconformity in the evidence notes.")
        )
    item = ChecklistItem.objects.select_related("audit__agency").get(pk=item.pk)
    checked = None
    if upload is not None:
        try:
            checked = check_evidence_file(upload, item.audit.agency)
        except ValidationError as error:
            raise AuditRuleError(" ".join(error.messages)) from error
    with _removing_file_on_failure(checked), transaction.atomic():
        audit = _lock_audit(item.audit_id)
        in_progress = _("Results are recorded while the audit is in progress; it is %(status)s.")
        for step in ("record_result", "attach_evidence") if checked else ("record_result",):
            _require(audit, step, actor, in_progress)
        item = ChecklistItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        item.audit = audit
        change = _check_finding_change(item, actor, result, evidence.strip(), reason)
        item.result = result
        item.evidence = evidence.strip()
        if question is not None and question.strip():
            item.question = question.strip()
        item.assessed_by = actor
        item.assessed_at = timezone.now()
        save_with_history(item, actor=actor, reason=change)
        if checked:
            attachment = Evidence(
                item=item,
                original_filename=checked.display_name,
                file_kind=checked.kind.code,
                file_size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
            )
            attachment.file.save(checked.storage_name, checked.content, save=False)
            save_with_history(attachment, actor=actor, reason=gettext_noop("Evidence attached"))
    return item


#: Kept for callers in this app; the mechanism is shared by every app that stores uploads.
_removing_file_on_failure = uploads.removing_on_failure


# --- Signatures ----------------------------------------------------------------------------


def _record_signature(*, signer, password, meaning, audit=None, review=None):
    """A report signature on ``audit`` or ``review`` (password re-checked), bound to its
    fingerprint now."""
    signed = audit or review
    return record_signature(
        ReportSignature,
        signer=signer,
        meaning=meaning,
        duplicate=_("This report already carries that signature."),
        error=AuditRuleError,
        password=password,
        audit=audit,
        review=review,
        fingerprint=signed.fingerprint(),
    )


@transaction.atomic
def audit_sign(*, audit, signer, password, meaning):
    """Sign the audit report as lead auditor or as the auditee representative."""
    audit = _lock_audit(audit.pk)
    step = SIGN_STEPS.get(meaning)
    if step is None:
        raise AuditRuleError(_("Choose what your signature means."))
    if step == "sign_as_auditee" and not access.can_sign_for_auditee(signer, audit):
        raise PermissionDenied(
            _("Only a named auditee or the head of %(department)s signs for the auditee.")
            % {"department": audit.department.name}
        )
    when_not = _("The report is signed while the audit is in reporting; it is %(status)s.")
    _require(audit, step, signer, when_not)
    return _record_signature(signer=signer, password=password, meaning=meaning, audit=audit)
