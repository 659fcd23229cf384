"""Periodic review and reading reminders (ISO 9001 7.5.3: documents kept suitable and current).

Run daily by Celery beat. Each reminder has a stable notification key, so a second run on the same
day — or a retried task — sends nothing twice.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import quality_managers_of

from .models import Acknowledgement, Document, Revision

#: Days before the due date at which owners are reminded.
REVIEW_REMINDER_DAYS = (30, 7, 1)
ACKNOWLEDGEMENT_REMINDER_AFTER_DAYS = 7


def review_stage(days_left):
    """The reminder due for a document ``days_left`` days from its review date, or None."""
    if days_left < 0:
        return "overdue"
    for days in sorted(REVIEW_REMINDER_DAYS):
        if days_left <= days:
            return str(days)
    return None


def send_review_reminders(today=None):
    """Remind owners at 30, 7 and 1 days before review; escalate overdue ones to quality managers."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(REVIEW_REMINDER_DAYS))
    documents = Document.objects.filter(
        is_obsolete=False,
        next_review_due__isnull=False,
        next_review_due__lte=horizon,
        revisions__status=Revision.Status.EFFECTIVE,
    ).select_related("owner", "agency")
    quality_managers = {}
    sent = 0
    for document in documents:
        days_left = (document.next_review_due - today).days
        stage = review_stage(days_left)
        if stage is None:
            continue
        key = f"doc-review:{document.pk}:{document.next_review_due}:{stage}"
        if stage == "overdue":
            if document.agency_id not in quality_managers:
                quality_managers[document.agency_id] = list(quality_managers_of(document.agency_id))
            recipients = [document.owner, *quality_managers[document.agency_id]]
            subject = gettext_lazy("Overdue for review: %(document)s (due %(date)s)")
        else:
            recipients = [document.owner]
            subject = gettext_lazy("Review due in %(days)d days: %(document)s (due %(date)s)")
        for person in recipients:
            _notification, created = notify(
                recipient=person,
                key=f"{key}:{person.pk}",
                subject=lambda: (
                    subject
                    % {"document": document, "date": document.next_review_due, "days": days_left}
                ),
                url=document.get_absolute_url(),
            )
            sent += created
    return sent


def send_acknowledgement_reminders(today=None):
    """Remind people who have not acknowledged an effective revision within a week, once a week."""
    today = today or timezone.localdate()
    cutoff = timezone.now() - timedelta(days=ACKNOWLEDGEMENT_REMINDER_AFTER_DAYS)
    pending = (
        Acknowledgement.objects.pending()
        .filter(
            assigned_at__lte=cutoff,
            revision__status=Revision.Status.EFFECTIVE,
            person__is_active=True,
        )
        .select_related("revision__document", "person")
    )
    year, week, _day = today.isocalendar()
    sent = 0
    for ack in pending:
        _notification, created = notify(
            recipient=ack.person,
            key=f"doc-read-reminder:{ack.pk}:{year}-{week}",
            subject=lambda: (
                _("Reminder: please read and acknowledge %(revision)s") % {"revision": ack.revision}
            ),
            url=ack.revision.document.get_absolute_url(),
        )
        sent += created
    return sent
