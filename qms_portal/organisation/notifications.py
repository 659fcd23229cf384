"""The shared notification mechanism: one row per message, e-mailed once after commit.

The e-mail is queued through the transactional outbox, so a broker outage delays it, never loses it.

Apps call :func:`notify`; reminders pass a stable ``key`` so raising the same reminder twice
(a beat task run twice, a retry) creates one notification and one e-mail.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation

from .models import Notification


def notify(*, recipient, key, subject, body="", url="", actor=None):
    """Record a notification for ``recipient`` and queue its e-mail after commit.

    ``subject`` and ``body`` may be callables: they are then evaluated in the recipient's language,
    so each person reads the portal's messages (and e-mails) in the language they chose.
    ``actor`` is the person whose action caused it; the delivery is recorded in their name.
    Returns the notification and whether it is new.
    """
    if Notification.objects.filter(key=key[:200]).exists():
        return Notification.objects.get(key=key[:200]), False
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        subject = str(subject() if callable(subject) else subject)
        body = str(body() if callable(body) else body)
    notification, created = Notification.objects.get_or_create(
        key=key[:200],
        defaults={"recipient": recipient, "subject": subject[:200], "body": body, "url": url},
    )
    if created:
        from qms_portal import outbox

        outbox.enqueue(
            "qms_portal.organisation.tasks.deliver_notification",
            notification.pk,
            actor.pk if actor else None,
        )
    return notification, created


def deliver_email(notification_id):
    """E-mail one notification unless it has been e-mailed already. Returns True if sent now.

    The row is claimed with a conditional update, so two workers never send the same e-mail;
    the attempt is then saved normally, so it appears in the notification's history.
    """
    # history-exempt: the claim; the attempt is saved with history below
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not notification.recipient.email:
        return False
    try:
        send_mail(
            notification.subject,
            _email_body(notification),
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
        )
    except Exception:
        notification.emailed_at = None
        raise
    finally:
        notification.email_attempts += 1
        notification._change_reason = "e-mail sent" if notification.emailed_at else "e-mail failed"
        notification.save(update_fields=["emailed_at", "email_attempts"])
    return True


def _email_body(notification):
    link = (
        f"\n\n{settings.PORTAL_BASE_URL.rstrip('/')}{notification.url}" if notification.url else ""
    )
    return f"{notification.body}{link}"


def mark_read(notification):
    # history-exempt: read receipts of notifications are not regulated records
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
