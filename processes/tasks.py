"""Celery tasks of the processes app."""

from datetime import date

from celery import shared_task

from . import workflow


@shared_task
def remind_overdue_measurements(today=None):
    """Beat, daily: remind owners of KPI values past due. Safe to run twice (notify() keys).

    ``today`` (ISO date) is for replays and tests; beat leaves it empty.
    """
    return workflow.remind_overdue_measurements(today=date.fromisoformat(today) if today else None)
