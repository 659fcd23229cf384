"""Every change to audits, nonconformities, actions and management reviews.

Audit (ISO 9001 9.2)::

    planned ──start──► in progress ──report──► reporting ──close (both signatures)──► closed

Nonconformity and corrective action (ISO 9001 10.2)::

    open ──contain──► contained ──analyse──► analysed ──plan──► planned ──implement──► implemented
                          reopened ──analyse──┘                                         │ verify
                              ▲────────────────────── ineffective ◄─────────────────────┤
                                                                         effective ──► closed

Management review (ISO 9001 9.3): draft ──sign (chair)──► signed.

Each function locks the rows it changes (``select_for_update`` inside ``transaction.atomic``),
checks who may act, records history with a reason, raises :class:`AuditRuleError` with a message
the person can act on, and queues notifications after commit.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms_portal import uploads
from qms_portal.organisation.models import Agency, Department, Person
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.signing import confirm_signature_password

from . import inputs as review_inputs
from .models import (
    Action,
    Audit,
    AuditProgramme,
    ChecklistItem,
    Evidence,
    ManagementReview,
    Nonconformity,
    ReportSignature,
    escalation_after_days,
    verification_wait_days,
)

AS, NS, RS = Audit.Status, Nonconformity.Status, ManagementReview.Status

#: Allowed transitions: name → (from states, to state).
TRANSITIONS = {
    "audit_start": ((AS.PLANNED,), AS.IN_PROGRESS),
    "audit_report": ((AS.IN_PROGRESS,), AS.REPORTING),
    "audit_close": ((AS.REPORTING,), AS.CLOSED),
    "nc_contain": ((NS.OPEN,), NS.CONTAINED),
    "nc_analyse": ((NS.CONTAINED, NS.REOPENED), NS.ANALYSED),
    "nc_plan": ((NS.ANALYSED,), NS.PLANNED),
    "nc_implement": ((NS.PLANNED,), NS.IMPLEMENTED),
    "nc_verify_effective": ((NS.IMPLEMENTED,), NS.CLOSED),
    "nc_verify_ineffective": ((NS.IMPLEMENTED,), NS.REOPENED),
    "review_sign": ((RS.DRAFT,), RS.SIGNED),
}

# Lazy: a module-level gettext would freeze the language of whoever imported the module first.
_ACTION_NAMES = {
    "audit_start": gettext_lazy("started"),
    "audit_report": gettext_lazy("moved to reporting"),
    "audit_close": gettext_lazy("closed"),
    "nc_contain": gettext_lazy("given a correction"),
    "nc_analyse": gettext_lazy("given a root cause"),
    "nc_plan": gettext_lazy("given an action plan"),
    "nc_implement": gettext_lazy("marked implemented"),
    "nc_verify_effective": gettext_lazy("verified"),
    "nc_verify_ineffective": gettext_lazy("verified"),
    "review_sign": gettext_lazy("signed"),
}


class AuditRuleError(Exception):
    """A change that breaks a rule; the message says what to do instead."""


def _require_transition(obj, name):
    allowed_from, _target = TRANSITIONS[name]
    if obj.status not in allowed_from:
        raise AuditRuleError(
            _("%(object)s is %(status)s, so it cannot be %(action)s.")
            % {
                "object": getattr(obj, "reference", None) or str(obj),
                "status": obj.get_status_display().lower(),
                "action": _ACTION_NAMES[name],
            }
        )


def _save(instance, *, actor, reason):
    instance._history_user = actor
    instance._change_reason = reason
    instance.save()


def _move(obj, name, *, actor, reason):
    obj.status = TRANSITIONS[name][1]
    _save(obj, actor=actor, reason=reason)


def _same_agency(people, agency_id, role):
    for person in people:
        if person.agency_id != agency_id or not person.is_active:
            raise AuditRuleError(
                _("%(person)s cannot be %(role)s: choose someone of the agency.")
                % {"person": person.display_name, "role": role}
            )


# --- Who may act ---------------------------------------------------------------------------


def is_quality_manager_of(person, agency_id):
    return person.is_superuser or (person.is_quality_manager and person.agency_id == agency_id)


def require_quality_manager(person, agency_id, what):
    if not is_quality_manager_of(person, agency_id):
        raise PermissionDenied(_("Only a quality manager can %(what)s.") % {"what": what})


def is_audit_team(person, audit):
    return person.pk == audit.lead_auditor_id or audit.team.filter(pk=person.pk).exists()


def can_run_audit(person, audit):
    """The lead auditor and the quality managers start, report and close an audit."""
    return person.pk == audit.lead_auditor_id or is_quality_manager_of(person, audit.agency_id)


def can_work_on_nc(person, nc):
    """The responsible person and the quality managers take a nonconformity through its steps."""
    return person.pk == nc.owner_id or is_quality_manager_of(person, nc.agency_id)


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
    _save(programme, actor=actor, reason=_("Audit programme created"))
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
    audited = {audit.department_id, audit.department.parent_id} - {None}
    audited |= {p.department_id for p in processes}
    audited |= set(Department.objects.filter(parent_id__in=audited).values_list("pk", flat=True))
    for person in auditors:
        if person.department_ids & audited:
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


def _next_reference(model, agency, prefix, year):
    """The next free reference (NC-2026-007); the agency row is locked until commit, so two
    people raising at the same moment get different numbers instead of a clash."""
    Agency.objects.select_for_update().filter(pk=getattr(agency, "pk", agency)).first()
    stem = f"{prefix}-{year}-"
    taken = model.objects.filter(agency=agency, reference__startswith=stem).count()
    number = taken + 1
    while model.objects.filter(agency=agency, reference=f"{stem}{number:03d}").exists():
        number += 1
    return f"{stem}{number:03d}"


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
    programme = AuditProgramme.objects.select_for_update().get(pk=programme.pk)
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
        reference=_next_reference(Audit, programme.agency_id, "IA", programme.year),
        title=title,
        audit_type=audit_type,
        department=department,
        scope=scope,
        lead_auditor=lead_auditor,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    _check_auditors(audit, team, processes)
    _save(audit, actor=actor, reason=_("Audit planned"))
    audit._change_reason = _("Scope and team set")
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
        Audit.objects.select_for_update()
        .select_related("department", "agency", "programme")
        .get(pk=audit_id)
    )


@transaction.atomic
def audit_start(*, audit, actor, on=None):
    """Open the audit: checklist results can now be recorded."""
    audit = _lock_audit(audit.pk)
    if not can_run_audit(actor, audit):
        raise PermissionDenied(_("Only the lead auditor or a quality manager can start the audit."))
    _require_transition(audit, "audit_start")
    _check_auditors(audit, list(audit.team.all()), list(audit.processes.all()))
    audit.actual_start = on or timezone.localdate()
    if audit.actual_start > timezone.localdate():
        raise AuditRuleError(_("An audit cannot start in the future; start it on the day."))
    if not audit.checklist.exists():
        _generate_checklist(audit)
    _move(audit, "audit_start", actor=actor, reason=_("Audit started"))
    return audit


@transaction.atomic
def audit_report(*, audit, actor, summary, on=None):
    """End the fieldwork: every checklist item needs a result; findings become nonconformities."""
    audit = _lock_audit(audit.pk)
    if not can_run_audit(actor, audit):
        raise PermissionDenied(_("Only the lead auditor or a quality manager can end the audit."))
    _require_transition(audit, "audit_report")
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
    _move(audit, "audit_report", actor=actor, reason=_("Fieldwork ended; report drafted"))
    findings = audit.checklist.filter(
        result__in=[ChecklistItem.Result.MINOR, ChecklistItem.Result.MAJOR],
        nonconformity__isnull=True,
    ).select_related("clause", "process")
    for item in findings:
        _raise_from_finding(audit, item, actor=actor)
    return audit


def _raise_from_finding(audit, item, *, actor):
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
    head = (
        Person.objects.filter(
            memberships__department=department, memberships__is_head=True, is_active=True
        )
        .order_by("pk")
        .first()
    )
    if head is None and department.parent_id:
        return _department_head(department.parent)
    return head


@transaction.atomic
def audit_close(*, audit, actor):
    """Close the audit once the lead auditor and the auditee representative have signed."""
    audit = _lock_audit(audit.pk)
    if not can_run_audit(actor, audit):
        raise PermissionDenied(_("Only the lead auditor or a quality manager can close the audit."))
    _require_transition(audit, "audit_close")
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
    _move(audit, "audit_close", actor=actor, reason=_("Audit report signed and closed"))
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
        item._change_reason = _("Generated from the audit criteria")
        item.save()
    return created


def _require_checklist_editable(audit, actor):
    if not (is_audit_team(actor, audit) or is_quality_manager_of(actor, audit.agency_id)):
        raise PermissionDenied(
            _("Only the audit team or a quality manager can edit the checklist.")
        )
    if audit.status not in (AS.PLANNED, AS.IN_PROGRESS):
        raise AuditRuleError(
            _("The audit is %(status)s; its checklist is frozen.")
            % {"status": audit.get_status_display().lower()}
        )


@transaction.atomic
def checklist_generate(*, audit, actor):
    audit = _lock_audit(audit.pk)
    _require_checklist_editable(audit, actor)
    if not audit.clauses.exists():
        raise AuditRuleError(
            _("Add clauses to the audit criteria first; the checklist follows them.")
        )
    return _generate_checklist(audit)


@transaction.atomic
def checklist_add(*, audit, actor, question, clause=None, process=None):
    audit = _lock_audit(audit.pk)
    _require_checklist_editable(audit, actor)
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
            _save(item, actor=actor, reason=_("Question added"))
    except IntegrityError as error:
        raise AuditRuleError(
            _("The checklist already has a question for this clause and process.")
        ) from error
    return item


@transaction.atomic
def checklist_remove(*, item, actor):
    audit = _lock_audit(item.audit_id)
    _require_checklist_editable(audit, actor)
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    if item.result or item.attachments.exists():
        raise AuditRuleError(_("This question has a result or evidence; it cannot be removed."))
    item._history_user = actor
    item.delete()


def check_evidence_file(upload, agency):
    return uploads.check_upload(upload, folder=f"audits/{agency.code}")


def checklist_record(*, item, actor, result, evidence="", question=None, upload=None):
    """Record an auditor's result for one item, with notes and optionally a file."""
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
        if not (is_audit_team(actor, audit) or is_quality_manager_of(actor, audit.agency_id)):
            raise PermissionDenied(_("Only the audit team can record results."))
        if audit.status != AS.IN_PROGRESS:
            raise AuditRuleError(
                _("Results are recorded while the audit is in progress; it is %(status)s.")
                % {"status": audit.get_status_display().lower()}
            )
        item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
        item.result = result
        item.evidence = evidence.strip()
        if question is not None and question.strip():
            item.question = question.strip()
        item.assessed_by = actor
        item.assessed_at = timezone.now()
        _save(item, actor=actor, reason=_("Result recorded"))
        if checked:
            attachment = Evidence(
                item=item,
                original_filename=checked.display_name,
                file_kind=checked.kind.code,
                file_size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
            )
            attachment.file.save(checked.storage_name, upload, save=False)
            _save(attachment, actor=actor, reason=_("Evidence attached"))
    return item


#: Kept for callers in this app; the mechanism is shared by every app that stores uploads.
_removing_file_on_failure = uploads.removing_on_failure


# --- Signatures ----------------------------------------------------------------------------


def _record_signature(*, signer, meaning, audit=None, review=None):
    signed = audit or review
    signature = ReportSignature(
        audit=audit,
        review=review,
        signer=signer,
        printed_name=signer.get_full_name() or signer.username,
        meaning=meaning,
        signed_at=timezone.now(),
        fingerprint=signed.fingerprint(),
    )
    signature.digest = signature.compute_digest()
    try:
        with transaction.atomic():
            _save(signature, actor=signer, reason=f"signed: {meaning}")
    except IntegrityError as error:
        raise AuditRuleError(_("This report already carries that signature.")) from error
    return signature


def _check_password(signer, password):
    confirm_signature_password(
        signer,
        password,
        error=AuditRuleError,
        wrong_password_message=_("The password is not correct; nothing was signed."),
    )


@transaction.atomic
def audit_sign(*, audit, signer, password, meaning):
    """Sign the audit report as lead auditor or as the auditee representative."""
    _check_password(signer, password)
    audit = _lock_audit(audit.pk)
    if audit.status != AS.REPORTING:
        raise AuditRuleError(
            _("The report is signed while the audit is in reporting; it is %(status)s.")
            % {"status": audit.get_status_display().lower()}
        )
    if meaning == ReportSignature.Meaning.LEAD_AUDITOR:
        if signer.pk != audit.lead_auditor_id:
            raise PermissionDenied(_("Only the lead auditor signs as lead auditor."))
    elif meaning == ReportSignature.Meaning.AUDITEE:
        is_auditee = audit.auditees.filter(pk=signer.pk).exists()
        heads = audit.department.memberships.filter(is_head=True, person=signer).exists()
        if not (is_auditee or heads):
            raise PermissionDenied(
                _("Only a named auditee or the head of %(department)s signs for the auditee.")
                % {"department": audit.department.name}
            )
    else:
        raise AuditRuleError(_("Choose what your signature means."))
    return _record_signature(signer=signer, meaning=meaning, audit=audit)


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


# --- Management review ---------------------------------------------------------------------


@transaction.atomic
def review_create(*, actor, title, period_start, period_end, meeting_date, chair, attendees=()):
    """Prepare a management review; its inputs are gathered from the period's data at once."""
    require_quality_manager(actor, actor.agency_id, _("prepare a management review"))
    _check_dates(period_start, period_end, _("review period"))
    attendees = list(attendees)
    _same_agency([chair, *attendees], actor.agency_id, _("at the review"))
    review = ManagementReview(
        agency_id=actor.agency_id,
        title=title,
        period_start=period_start,
        period_end=period_end,
        meeting_date=meeting_date,
        chair=chair,
    )
    _save(review, actor=actor, reason=_("Management review prepared"))
    review.attendees.set(attendees)
    _gather(review, actor=actor)
    return review


def _gather(review, *, actor):
    review.inputs = review_inputs.gather(
        review.agency, review.period_start, review.period_end, exclude_review=review
    )
    review.inputs_gathered_at = timezone.now()
    _save(review, actor=actor, reason=_("Inputs gathered from the period's data"))


def _lock_review(review_id):
    return ManagementReview.objects.select_for_update().select_related("agency").get(pk=review_id)


def _require_review_draft(review, actor):
    if not (actor.pk == review.chair_id or is_quality_manager_of(actor, review.agency_id)):
        raise PermissionDenied(_("Only the chair or a quality manager can change the review."))
    if review.status != RS.DRAFT:
        raise AuditRuleError(_("The minutes are signed; they can no longer change."))


@transaction.atomic
def review_refresh_inputs(*, review, actor):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
    _gather(review, actor=actor)
    return review


@transaction.atomic
def review_record(*, review, actor, discussion, decisions):
    """The chair records the discussion and the decisions (ISO 9001 9.3.3)."""
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
    review.discussion = (discussion or "").strip()
    review.decisions = (decisions or "").strip()
    _save(review, actor=actor, reason=_("Minutes edited"))
    return review


@transaction.atomic
def review_add_action(*, review, actor, title, owner, due_date, description=""):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
    return _action_create(
        actor=actor,
        agency_id=review.agency_id,
        kind=Action.Kind.REVIEW,
        title=title,
        owner=owner,
        due_date=due_date,
        description=description,
        review=review,
    )


@transaction.atomic
def review_sign(*, review, signer, password):
    """The chair signs the minutes; they are then final."""
    _check_password(signer, password)
    review = _lock_review(review.pk)
    if signer.pk != review.chair_id:
        raise PermissionDenied(_("Only the chair of the review signs the minutes."))
    _require_transition(review, "review_sign")
    if not review.decisions.strip():
        raise AuditRuleError(_("Record the decisions before signing the minutes."))
    signature = _record_signature(
        signer=signer, meaning=ReportSignature.Meaning.CHAIR, review=review
    )
    _move(review, "review_sign", actor=signer, reason=_("Minutes signed by the chair"))
    return signature
