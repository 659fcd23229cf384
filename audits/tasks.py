"""Celery tasks of the audits app."""

from datetime import date

from celery import shared_task

from . import workflow
from .packs.models import pack_build_seconds


@shared_task
def remind_overdue_actions(today=None):
    """Beat, daily: remind owners of overdue actions and escalate long-overdue ones to quality
    managers. Safe to run twice (notify() keys, escalation claimed by a conditional update).

    ``today`` (ISO date) is for replays and tests; beat leaves it empty.
    """
    reminded, escalated = workflow.remind_overdue_actions(
        today=date.fromisoformat(today) if today else None
    )
    return {"reminded": reminded, "escalated": escalated}


@shared_task(soft_time_limit=pack_build_seconds(), time_limit=pack_build_seconds() + 60)
def build_evidence_pack(pack_id, build_number, actor_id=None):
    """Build one pack (outbox: ``audits.tasks.build_evidence_pack``). Idempotent: the build is
    claimed by a conditional update, so a second delivery of the same build does nothing."""
    from .packs.tasks import run_build

    return run_build(pack_id, build_number, actor_id)


@shared_task
def expire_evidence_pack_shares():
    """Beat: take back permissions of expired pack shares; fail builds whose worker died."""
    from .packs.workflow import expire_shares, fail_stalled_builds

    return {"expired": expire_shares(), "stalled": fail_stalled_builds()}
