"""Celery tasks of nonconformities and actions."""

from datetime import date

from celery import shared_task

from . import workflow


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
