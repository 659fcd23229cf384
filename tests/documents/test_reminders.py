"""Periodic review reminders at 30, 7 and 1 days, escalation when overdue, never twice."""

from datetime import timedelta

import pytest
from django.core import mail

from documents import reminders
from documents.models import Acknowledgement, Document
from documents.tasks import send_review_reminders
from qms_portal.organisation.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "days_left, stage",
    [(45, None), (30, "30"), (8, "30"), (7, "7"), (2, "7"), (1, "1"), (0, "1"), (-1, "overdue")],
)
def test_review_stage(days_left, stage):
    assert reminders.review_stage(days_left) == stage


def due_in(document, days, today):
    Document.objects.filter(pk=document.pk).update(next_review_due=today + timedelta(days=days))


def test_owner_is_reminded_once_per_stage(effective, owner, django_capture_on_commit_callbacks):
    from django.utils import timezone

    today = timezone.localdate()
    due_in(effective, 30, today)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_review_reminders(today) == 1
        assert reminders.send_review_reminders(today) == 0  # same day again: nothing
        assert (
            reminders.send_review_reminders(today + timedelta(days=1)) == 0
        )  # still the 30-day stage
        assert reminders.send_review_reminders(today + timedelta(days=23)) == 1  # 7 days left
    review_mail = [m for m in mail.outbox if "Review due" in m.subject]
    assert len(review_mail) == 2 and review_mail[0].to == [owner.email]


def test_overdue_documents_escalate_to_quality_managers(effective, owner, quality_manager, client):
    from django.utils import timezone

    today = timezone.localdate()
    due_in(effective, -3, today)
    assert send_review_reminders() == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) >= {
        "owner",
        "quality_manager",
    }
    assert send_review_reminders() == 0
    client.force_login(quality_manager)
    assert f"Overdue for review: {effective}" in client.get("/").content.decode()


def test_obsolete_documents_are_not_reminded(effective, owner):
    from django.utils import timezone

    from documents import workflow

    due_in(effective, 1, timezone.localdate())
    workflow.make_obsolete(document_id=effective.pk, actor=owner, reason="withdrawn")
    assert reminders.send_review_reminders() == 0


def test_pending_acknowledgements_are_reminded_weekly(effective, owner, colleague):
    from django.utils import timezone

    from documents import workflow

    workflow.assign_reading(
        revision_id=effective.revisions.get().pk, actor=owner, people=[colleague]
    )
    assert reminders.send_acknowledgement_reminders() == 0  # not a week old yet
    Acknowledgement.objects.update(assigned_at=timezone.now() - timedelta(days=8))
    assert reminders.send_acknowledgement_reminders() == 1
    assert reminders.send_acknowledgement_reminders() == 0
    assert reminders.send_acknowledgement_reminders(timezone.localdate() + timedelta(days=7)) == 1
