"""Celery tasks of the processes app."""

from celery import shared_task

from . import workflow


@shared_task
def remind_overdue_measurements():
    """Beat, daily: remind owners of KPI values past due. Safe to run twice (notify() keys)."""
    return workflow.remind_overdue_measurements()
