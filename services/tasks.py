"""Celery tasks of citizen services: small, idempotent."""

from celery import shared_task

from . import reminders


@shared_task
def send_deadline_reminders():
    """Beat: remind handlers of requests at risk or overdue and escalate (safe to run twice)."""
    return reminders.send_deadline_reminders()
