"""Demo audits: last year's and this year's programme and audits in every state with findings.
Called by ``audits.demo`` (which keeps a seeded agency alone)."""

from datetime import date, timedelta

from django.utils import timezone

from processes.models import Clause, Process
from qms_portal.organisation.models import Department

from . import workflow

SIGN = "lead_auditor", "auditee"


def seed(*, agency, people, password):
    """Create the two programmes and their audits; returns the context the other demos use."""
    qm = people["qm.li"]
    year = timezone.localdate().year
    last = workflow.programme_create(
        actor=qm, agency=agency, year=year - 1, title=f"{year - 1} 内部审核方案 Audit programme"
    )
    current = workflow.programme_create(
        actor=qm,
        agency=agency,
        year=year,
        title=f"{year} 内部审核方案 Audit programme",
        objectives="Audit every process and every clause of ISO 9001 once in the year.",
    )
    departments = {d.code: d for d in Department.objects.filter(agency=agency)}
    processes = {p.code: p for p in Process.objects.filter(agency=agency)}
    ctx = {"qm": qm, "people": people, "departments": departments, "processes": processes}
    _audits(ctx, last, current, password)
    return ctx


def _clauses(*numbers):
    return list(Clause.objects.filter(number__in=numbers))


def _plan(ctx, programme, *, title, dept, lead, processes, clauses, start, auditee):
    return workflow.audit_plan(
        actor=ctx["qm"],
        programme=programme,
        title=title,
        department=ctx["departments"][dept],
        scope=f"{title}: from application to archive, at the counter and online.",
        lead_auditor=ctx["people"][lead],
        planned_start=start,
        planned_end=start + timedelta(days=1),
        processes=[ctx["processes"][c] for c in processes if c in ctx["processes"]],
        clauses=_clauses(*clauses),
        auditees=[ctx["people"][auditee]],
    )


def _fieldwork(audit, lead, results, *, on=None):
    workflow.audit_start(audit=audit, actor=lead, on=on)
    for n, item in enumerate(audit.checklist.order_by("position")):
        result = results.get(n, "conforming")
        evidence = {
            "minor": "Two of 25 sampled files lacked the reviewer's signature.",
            "major": "No record that complaints past 15 days were escalated (sample of 12).",
            "improvement": "Queue numbers could be sent by SMS.",
            "observation": "The counter checklist is an old revision.",
        }.get(result, "Sampled records and interviewed staff; requirement met.")
        workflow.checklist_record(item=item, actor=lead, result=result, evidence=evidence)


def _report_and_sign(audit, lead, auditee, password, *, on=None, close=True):
    workflow.audit_report(
        audit=audit,
        actor=lead,
        summary="The process is effective, with the findings listed.",
        on=on,
    )
    workflow.audit_sign(audit=audit, signer=lead, password=password, meaning="lead_auditor")
    if close:
        workflow.audit_sign(audit=audit, signer=auditee, password=password, meaning="auditee")
        workflow.audit_close(audit=audit, actor=lead)


def _audits(ctx, last, current, password):
    p = ctx["people"]
    chen, zhao = p["auditor.chen"], p["auditor.zhao"]
    y = last.year
    closed_1 = _plan(
        ctx,
        last,
        title="行政许可审核 Licensing audit",
        dept="AAS",
        lead="auditor.chen",
        processes=["CORE-01", "CORE-02"],
        clauses=["8.1", "8.2", "8.5.1", "7.5"],
        start=date(y, 3, 10),
        auditee="staff.huang",
    )
    _fieldwork(closed_1, chen, {0: "minor", 2: "improvement"}, on=date(y, 3, 10))
    _report_and_sign(closed_1, chen, p["staff.huang"], password, on=date(y, 3, 11))
    closed_2 = _plan(
        ctx,
        last,
        title="热线与投诉审核 Hotline and complaints audit",
        dept="HOT",
        lead="auditor.zhao",
        processes=["CORE-03", "CORE-05"],
        clauses=["9.1.2", "10.2", "8.2.1"],
        start=date(y, 9, 15),
        auditee="staff.xu",
    )
    _fieldwork(closed_2, zhao, {1: "major", 0: "observation"}, on=date(y, 9, 15))
    _report_and_sign(closed_2, zhao, p["staff.xu"], password, on=date(y, 9, 16))
    reporting = _plan(
        ctx,
        current,
        title="财务审核 Finance audit",
        dept="FIN",
        lead="auditor.chen",
        processes=["SUP-02"],
        clauses=["7.1.3", "8.4", "7.5"],
        start=date(current.year, 1, 2),
        auditee="staff.wang",
    )
    _fieldwork(reporting, chen, {1: "minor"})
    _report_and_sign(reporting, chen, p["staff.wang"], password, close=False)
    in_progress = _plan(
        ctx,
        current,
        title="城市管理审核 Urban management audit",
        dept="URB",
        lead="auditor.zhao",
        processes=["CORE-04"],
        clauses=["8.5.1", "9.1.1", "6.1"],
        start=date(current.year, 1, 3),
        auditee="staff.wu",
    )
    workflow.audit_start(audit=in_progress, actor=zhao)
    first = in_progress.checklist.order_by("position").first()
    workflow.checklist_record(
        item=first, actor=zhao, result="conforming", evidence="Inspection logs complete."
    )
    _plan(
        ctx,
        current,
        title="人事与培训审核 HR and training audit",
        dept="HR",
        lead="auditor.zhao",
        processes=["SUP-01"],
        clauses=["7.1.2", "7.2", "7.3"],
        start=date(current.year, 11, 4),
        auditee="staff.ma",
    )
