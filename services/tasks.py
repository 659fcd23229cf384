"""Celery tasks of citizen services: small, idempotent."""

from celery import shared_task

from . import citizen_mail, reminders


@shared_task
def send_deadline_reminders():
    """Beat: remind handlers of requests at risk or overdue and escalate (safe to run twice)."""
    return reminders.send_deadline_reminders()


@shared_task(bind=True, max_retries=5)
def email_citizen(self, update_id):
    """E-mail a public update to the citizen; safe to run twice (the second run finds it sent)."""
    try:
        return citizen_mail.email_update(update_id)
    except Exception as error:  # mail server down: try again later, with backoff
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error
