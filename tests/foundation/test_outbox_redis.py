"""A real Redis outage: requests succeed, and once Redis is back every task runs once in effect.

Uses a Redis server of its own (started and stopped by the test on a free port) and a real Celery
worker process, against the test PostgreSQL database. Runs in the PostgreSQL + Redis pass.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.urls import reverse

from documents.models import Revision
from qms_portal import outbox
from qms_portal.celery import app
from qms_portal.organisation.models import Notification, OutboxTask
from qms_portal.organisation.notifications import notify
from tests.documents.conftest import draft_document
from tests.foundation.test_celery_worker import ROOT, database_url_of_test_database, wait_for
from tests.servers import free_port, start_redis, stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_broker(settings, tmp_path):
    """Point this process's Celery at a Redis that is not running yet."""
    settings.MEDIA_ROOT = tmp_path / "media"
    port = free_port()
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.amqp._producer_pool = app._pool = None
    processes = []
    yield port, processes
    for process in reversed(processes):
        stop(process)
    app.conf.broker_url = saved
    app.amqp._producer_pool = app._pool = None


def start_worker(port, media_root):
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MEDIA_ROOT": str(media_root),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qms_portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_outage_then_recovery_runs_each_task_once(
    private_broker, owner, department_a, colleague, quality_manager, client, settings
):
    port, processes = private_broker
    document = draft_document(owner, department_a)  # Redis is down from the start
    revision = document.revisions.get()
    client.force_login(owner)
    started = time.monotonic()
    response = client.post(
        reverse("documents:revision_submit", args=[document.pk, revision.pk]),
        {"reviewers": [colleague.pk], "approvers": [quality_manager.pk]},
    )
    assert response.status_code == 302, "the request must succeed while the broker is down"
    assert time.monotonic() - started < 5, "and must not hang on the broker"
    waiting = OutboxTask.objects.unpublished()
    assert waiting.count() == 3  # text extraction + two review requests
    assert all(entry.last_error for entry in waiting)

    processes.append(start_redis(port))
    assert outbox.publish_pending(older_than_seconds=0) == 3
    processes.append(start_worker(port, settings.MEDIA_ROOT))
    notifications = Notification.objects.filter(key__startswith=f"doc-sign:{revision.pk}:")
    assert wait_for(lambda: notifications.filter(emailed_at__isnull=False).count() == 2, timeout=60)
    assert wait_for(lambda: Revision.objects.get(pk=revision.pk).extracted_text != "", timeout=30)
    assert outbox.publish_pending(older_than_seconds=0) == 0

    # A crash between publishing and marking sends a task twice: it still has one effect.
    entry = OutboxTask.objects.filter(task_name__endswith="deliver_notification").first()
    OutboxTask.objects.filter(pk=entry.pk).update(published_at=None)
    pks = list(notifications.values_list("pk", flat=True))
    history_before = Notification.history.filter(id__in=pks).count()
    assert outbox.publish(entry.pk)
    # The solo worker takes tasks in order: once a task queued after the duplicate has run, the
    # duplicate has run too (a fixed sleep could pass before the worker got to it).
    sentinel, _created = notify(recipient=owner, key="after-the-duplicate", subject="Sentinel")
    assert wait_for(
        lambda: Notification.objects.get(pk=sentinel.pk).emailed_at is not None, timeout=30
    )
    assert OutboxTask.objects.get(pk=entry.pk).published_at is not None
    assert Notification.history.filter(id__in=pks).count() == history_before
    assert all(n.email_attempts == 1 for n in notifications)


def test_a_task_failing_in_the_worker_backs_off_and_is_set_aside_after_the_cap(settings, tmp_path):
    """The worker tells the outbox (``task_failure``): the row waits out its back-off, is sent
    again by the sweep, and after ``QMS_OUTBOX_MAX_ATTEMPTS`` failures is set aside."""
    from django.db import transaction

    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "QMS_OUTBOX_MAX_ATTEMPTS": "2",
    }
    command = [sys.executable, "-m", "celery", "-A", "qms_portal", "worker", "--pool=solo"]
    command += ["--include", "tests.foundation.failing_tasks", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with transaction.atomic():
            entry = outbox.enqueue("tests.foundation.failing_tasks.always_fails", "in-worker")

        def failed_once():
            entry.refresh_from_db()
            return entry.failures == 1

        assert wait_for(failed_once, timeout=60)
        assert entry.published_at is None and entry.dead_at is None
        assert "this task never succeeds" in entry.last_error
        assert outbox.publish_pending(now=entry.next_attempt_at, older_than_seconds=0) == 1

        def set_aside():
            entry.refresh_from_db()
            return entry.dead_at is not None

        assert wait_for(set_aside, timeout=60)
        assert entry.failures == 2 and entry.attempts == 2
        later = entry.dead_at + timedelta(days=1)
        assert outbox.publish_pending(now=later, older_than_seconds=0) == 0
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
