"""Tasks are recorded with the change that causes them and survive a broker outage."""

import pytest
from django.core import mail

from qms_portal import outbox
from qms_portal.organisation.models import Notification, OutboxTask
from qms_portal.organisation.notifications import notify

pytestmark = pytest.mark.django_db


def test_a_task_is_published_only_after_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipient=owner, key="k1", subject="Hello")
        assert OutboxTask.objects.unpublished().count() == 1
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert OutboxTask.objects.unpublished().count() == 0
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_queues_nothing(owner):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=owner, key="k2", subject="Never")
        raise RuntimeError("the change fails")
    assert not OutboxTask.objects.exists() and not Notification.objects.exists()


def test_with_the_broker_down_the_request_succeeds_and_the_task_waits(
    owner, quality_manager, client, django_capture_on_commit_callbacks
):
    from qms_portal.celery import app

    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there: the broker is down
    app.amqp._producer_pool = app._pool = None
    try:
        client.force_login(quality_manager)
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipient=owner, key="k3", subject="Queued during an outage")
        entry = OutboxTask.objects.get()
        assert (
            entry.published_at is None and entry.attempts == 1 and "127.0.0.1:1" in entry.last_error
        )
        assert outbox.publish_pending(older_than_seconds=0) == 0  # still down: still waiting
        assert client.get("/").status_code == 200  # the portal keeps working
    finally:
        app.conf.broker_url = saved
        app.amqp._producer_pool = app._pool = None
        app.conf.task_always_eager = True  # the broker is back (here: in-process)
    assert outbox.publish_pending(older_than_seconds=0) == 1
    assert outbox.publish_pending(older_than_seconds=0) == 0
    assert len(mail.outbox) == 1
