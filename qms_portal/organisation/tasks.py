"""Celery tasks of the organisation: delivering notifications, sealing the audit trail."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .history import acting_as
from .models import Notification, Person
from .notifications import deliver_email

MAX_EMAIL_ATTEMPTS = 5


@shared_task(bind=True, max_retries=MAX_EMAIL_ATTEMPTS, retry_backoff=True)
def deliver_notification(self, notification_id, acting_user_id=None):
    """E-mail a notification; safe to run twice (the second run finds it sent)."""
    try:
        with acting_as(Person.objects.filter(pk=acting_user_id).first()):
            return deliver_email(notification_id)
    except Exception as error:  # mail server down: try again later, with backoff
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error


@shared_task
def redeliver_pending_notifications():
    """Queue again the e-mails a lost task or an outage left unsent (beat, every 10 minutes)."""
    stale = timezone.now() - timedelta(minutes=5)
    pending = Notification.objects.pending_email().filter(
        created_at__lt=stale, email_attempts__lt=MAX_EMAIL_ATTEMPTS, recipient__email__gt=""
    )
    ids = list(pending.values_list("pk", flat=True)[:500])
    for notification_id in ids:
        deliver_notification.delay(notification_id)
    return len(ids)


@shared_task
def publish_outbox():
    """Publish tasks a broker outage left in the outbox (beat, every minute)."""
    from qms_portal import outbox

    return outbox.publish_pending()


@shared_task
def seal_audit_trail():
    """Chain history rows that a crash left unsealed after commit (beat, every minute)."""
    from qms_portal.audit_trail import seal_all

    return sum(seal_all().values())


@shared_task
def publish_chain_head():
    """Seal and record every chain's head (beat, daily): the transparency page shows the latest,
    so a rewrite of the database after today is provable against what the public saw."""
    from qms_portal.chain_seal import issue_head, published_form

    return published_form(issue_head("daily publication"))
