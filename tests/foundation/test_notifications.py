"""Notifications: idempotent by key, e-mailed once after commit, recorded in the actor's name."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from qms_portal.organisation.models import Notification
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.tasks import deliver_notification, redeliver_pending_notifications

pytestmark = pytest.mark.django_db


def test_notification_is_emailed_once_after_commit(
    owner, quality_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification, created = notify(
            recipient=owner,
            key="review:1",
            subject="Please review PRO-FIN-001",
            url="/documents/1/",
            actor=quality_manager,
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert created and len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert "/documents/1/" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_the_same_reminder_twice_is_one_notification(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=owner, key="reminder:kpi:7:2026-10", subject="KPI overdue")
        _, created = notify(recipient=owner, key="reminder:kpi:7:2026-10", subject="KPI overdue")
    assert not created
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_delivering_twice_sends_once(owner):
    notification = Notification.objects.create(recipient=owner, key="k", subject="s")
    assert deliver_notification(notification.pk) is True
    assert deliver_notification(notification.pk) is False
    assert len(mail.outbox) == 1


def test_delivery_is_recorded_in_the_actor_name(owner, quality_manager):
    notification = Notification.objects.create(recipient=owner, key="k", subject="s")
    deliver_notification(notification.pk, quality_manager.pk)
    latest = notification.history.latest()
    assert latest.history_user == quality_manager
    assert latest.history_change_reason == "e-mail sent"


def test_redelivery_picks_up_stale_unsent_notifications(owner):
    old = Notification.objects.create(
        recipient=owner, key="old", subject="old", created_at=timezone.now() - timedelta(hours=1)
    )
    Notification.objects.create(recipient=owner, key="new", subject="new")
    assert redeliver_pending_notifications() == 1
    old.refresh_from_db()
    assert old.emailed_at is not None
    assert [m.subject for m in mail.outbox] == ["old"]


def test_notification_page_shows_only_my_notifications(client, owner, colleague):
    Notification.objects.create(recipient=owner, key="a", subject="For the owner")
    theirs = Notification.objects.create(recipient=colleague, key="b", subject="For the colleague")
    client.force_login(owner)
    page = client.get("/organisation/notifications/").content.decode()
    assert "For the owner" in page and "For the colleague" not in page
    assert client.post(f"/organisation/notifications/{theirs.pk}/open/").status_code == 404


def test_each_recipient_reads_the_notification_in_their_own_language(
    owner, colleague, django_capture_on_commit_callbacks
):
    from django.utils.translation import gettext as _

    owner.language, colleague.language = "zh-hans", "en"
    with django_capture_on_commit_callbacks(execute=True):
        for person in (owner, colleague):
            notify(recipient=person, key=f"lang:{person.pk}", subject=lambda: _("Sign in"))
    subjects = dict(Notification.objects.values_list("recipient__username", "subject"))
    assert subjects == {"owner": "登录", "colleague": "Sign in"}
    assert {m.subject for m in mail.outbox} == {"登录", "Sign in"}
