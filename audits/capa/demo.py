"""Demo nonconformities in every state of the corrective-action workflow (the first two raised by
the demo audits) and a risk treatment action. Called by ``audits.demo``."""

from datetime import timedelta

from django.utils import timezone

from processes.models import Kpi, Risk

from . import workflow
from .models import Action, Nonconformity


def seed(ctx, agency):
    _nonconformities(ctx)
    _risk_action(ctx, agency)


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
