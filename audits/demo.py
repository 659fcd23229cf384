"""Demo audits for ``seed_demo``: last year's and this year's programme, audits in every state with
findings, nonconformities in every state of the corrective-action workflow, a risk treatment
action and one signed management review. Created through the workflow functions, in the names of
the demo people, so the history reads like real use. Idempotent: a seeded agency is left alone.
"""

from datetime import date, timedelta

from django.utils import timezone

from processes.models import Clause, Kpi, Process, Risk
from qms_portal.organisation.models import Department

from . import workflow
from .models import Action, AuditProgramme, Nonconformity

SIGN = "lead_auditor", "auditee"


def seed(*, agency, people, stdout):
    _seed_audits(agency=agency, people=people, stdout=stdout)
    from . import assessment_demo
    from .packs import demo as packs_demo

    assessment_demo.seed(agency=agency, people=people, stdout=stdout)
    packs_demo.seed(agency=agency, people=people, stdout=stdout)


def _seed_audits(*, agency, people, stdout):
    if AuditProgramme.objects.filter(agency=agency).exists():
        return
    from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

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
    _audits(ctx, last, current, DEMO_PASSWORD)
    _nonconformities(ctx)
    _risk_action(ctx, agency)
    _review(ctx, agency, DEMO_PASSWORD)
    stdout.write("  audits: 2 programmes, 5 audits, nonconformities in every state, 1 review")


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


def _later(days):
    return timezone.localdate() + timedelta(days=days)


def _advance(nc, owner, actor_qm, *, to, action_owner):
    """Take a nonconformity through the workflow up to state ``to``."""
    order = ["contained", "analysed", "planned", "implemented", "closed", "reopened"]
    steps = order[: order.index(to) + 1] if to != "reopened" else order[:4] + ["reopened"]
    for step in steps:
        if step == "contained":
            workflow.nc_contain(nc=nc, actor=owner, containment="Stopped the faulty practice.")
        elif step == "analysed":
            workflow.nc_analyse(
                nc=nc,
                actor=owner,
                method="five_whys",
                analysis={"whys": ["The check was skipped", "Nobody owned the check"]},
                root_cause="The procedure names no one for the check.",
            )
        elif step == "planned":
            workflow.nc_plan(
                nc=nc,
                actor=owner,
                actions=[
                    {
                        "title": "Name an owner for the check",
                        "owner": action_owner,
                        "due_date": _later(20),
                    },
                    {"title": "Revise the procedure", "owner": owner, "due_date": _later(40)},
                ],
            )
        elif step == "implemented":
            for action in nc.actions.filter(status=Action.Status.OPEN):
                workflow.action_complete(
                    action=action, actor=action.owner, note="Done and recorded."
                )
            workflow.nc_implement(nc=nc, actor=owner)
        else:
            nc.refresh_from_db()
            workflow.nc_verify(
                nc=nc,
                actor=actor_qm,
                effective=step == "closed",
                notes="Sampled the next 20 cases."
                if step == "closed"
                else "The same error appeared again twice.",
                today=nc.verification_due,
            )


def _nonconformities(ctx):
    p, d, qm = ctx["people"], ctx["departments"], ctx["qm"]
    from_audits = list(Nonconformity.objects.filter(source="audit").order_by("pk"))
    if from_audits:
        _advance(
            from_audits[0], from_audits[0].owner, qm, to="closed", action_owner=p["staff.zhou"]
        )
    if len(from_audits) > 1:
        _advance(
            from_audits[1], from_audits[1].owner, qm, to="reopened", action_owner=p["staff.xu"]
        )
    kpi = Kpi.objects.filter(process__agency=qm.agency, name="Citizen satisfaction").first()
    raised = [
        (
            "staff",
            "Archive boxes stored in a damp corridor.",
            "ARCH",
            "minor",
            "staff.he",
            {},
            None,
        ),
        (
            "kpi",
            "Citizen satisfaction below the red threshold in two months.",
            "HOT",
            "major",
            "staff.xu",
            {"kpi": kpi},
            "contained",
        ),
        (
            "complaint",
            "A citizen waited 25 working days for a permit decision.",
            "AAS",
            "major",
            "staff.huang",
            {"source_reference": "Complaint 12345-2026-0042"},
            "analysed",
        ),
        (
            "review",
            "Training records are incomplete for new staff.",
            "HR",
            "minor",
            "staff.ma",
            {},
            "planned",
        ),
        (
            "external",
            "Surveillance audit: calibration of the queue display not evidenced.",
            "PERMIT",
            "minor",
            "staff.zhou",
            {},
            "implemented",
        ),
    ]
    for source, text, dept, severity, owner, links, state in raised:
        if source == "kpi" and links["kpi"] is None:
            links = {"kpi": None}
            source = "staff"
        nc = workflow.nc_raise(
            actor=qm,
            source=source,
            description=text,
            department=d[dept],
            severity=severity,
            owner=p[owner],
            **{k: v for k, v in links.items() if v is not None},
        )
        if state:
            _advance(nc, p[owner], qm, to=state, action_owner=p["staff.liu"])
    # One corrective action is past its date, so the dashboard and reminders have work to show.
    late = Action.objects.filter(
        nonconformity__status=Nonconformity.Status.PLANNED, status=Action.Status.OPEN
    ).order_by("pk")
    Action.objects.filter(pk__in=list(late.values_list("pk", flat=True)[:1])).update(
        due_date=timezone.localdate() - timedelta(days=5)
    )


def _risk_action(ctx, agency):
    risk = Risk.objects.filter(process__agency=agency, is_closed=False).order_by("pk").first()
    if risk is None:
        return
    workflow.risk_action_create(
        risk=risk,
        actor=ctx["qm"],
        title="Cross-train two counter officers for application peaks",
        owner=risk.owner,
        due_date=_later(45),
    )


def _review(ctx, agency, password):
    p = ctx["people"]
    year = timezone.localdate().year - 1
    review = workflow.review_create(
        actor=ctx["qm"],
        title=f"{year} 年度管理评审 Annual management review",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        meeting_date=timezone.localdate(),
        chair=p["staff.sun"],
        attendees=[ctx["qm"], p["staff.huang"], p["staff.xu"], p["staff.wang"]],
    )
    workflow.review_record(
        review=review,
        actor=p["staff.sun"],
        discussion="Audit results, complaints and KPI trends were presented by the quality office.",
        decisions="1. Add a second permit counter at peak times.\n2. Train hotline staff on escalation.",
    )
    workflow.review_add_action(
        review=review,
        actor=p["staff.sun"],
        title="Open a second permit counter at peak times",
        owner=p["staff.huang"],
        due_date=_later(60),
    )
    workflow.review_sign(review=review, signer=p["staff.sun"], password=password)
