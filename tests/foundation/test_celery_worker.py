"""A real Celery worker, over the real Redis broker, changes the real PostgreSQL database.

Runs in the second pass of .ci/run (DATABASE_URL and REDIS_URL set); deselected when embedded.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from qms_portal.organisation.models import Notification
from qms_portal.organisation.notifications import notify

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url_of_test_database():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def celery_worker_process():
    """Start `celery worker` as its own process, connected to the test database and using the
    test's media folder."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qms_portal",
            "worker",
            "--loglevel=INFO",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-4000:])


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_connection_is_postgresql():
    assert connection.vendor == "postgresql"


def test_worker_delivers_a_notification_queued_after_commit(
    celery_worker_process, owner, quality_manager
):
    from qms_portal.celery import app

    assert not app.conf.task_always_eager, "this test needs the real broker"
    notification, _ = notify(
        recipient=owner, key="worker-test", subject="Audit plan published", actor=quality_manager
    )
    assert wait_for(
        lambda: Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()
    ), "the worker did not deliver the notification within 60 s"
    latest = Notification.objects.get(pk=notification.pk).history.latest()
    assert latest.history_user_id == quality_manager.pk
    assert latest.history_change_reason == "e-mail sent"
