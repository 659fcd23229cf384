"""Celery tasks of evidence packs."""

from celery import shared_task

from .models import pack_build_seconds


@shared_task(soft_time_limit=pack_build_seconds(), time_limit=pack_build_seconds() + 60)
def build_evidence_pack(pack_id, build_number, actor_id=None):
    """Build one pack (outbox: ``audits.packs.tasks.build_evidence_pack``). Idempotent: the build
    is claimed by a conditional update, so a second delivery of the same build does nothing."""
    from .build import run_build

    return run_build(pack_id, build_number, actor_id)


@shared_task
def expire_evidence_pack_shares():
    """Beat: take back permissions of expired pack shares."""
    from .workflow import expire_shares

    return {"expired": expire_shares()}


@shared_task
def recover_stale_pack_builds():
    """Beat (every 30 s): builds whose worker died are queued again, or failed after the cap."""
    from .workflow import recover_stale_builds

    return recover_stale_builds()
