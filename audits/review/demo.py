"""Demo management review of last year, with minutes, an action and the chair's signature. Called
by ``audits.demo``."""

from datetime import date

from django.utils import timezone

from ..capa.demo import _later
from . import workflow


def seed(ctx, agency, password):
    _review(ctx, agency, password)


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
