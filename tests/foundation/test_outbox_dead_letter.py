"""A task that keeps failing is not retried forever: each failure waits longer (exponential
back-off), after ``QMS_OUTBOX_MAX_ATTEMPTS`` failures it is set aside (dead-lettered), shown in
the admin with its error, and an administrator's "retry" sends it again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qms_portal import outbox
from qms_portal.organisation.models import OutboxTask
from tests.foundation.failing_tasks import RUNS

pytestmark = pytest.mark.django_db

TASK = "tests.foundation.failing_tasks.always_fails"
CHANGELIST = "admin:organisation_outboxtask_changelist"


def run_the_sweep_until_it_stops(entry, *, first_run_at, cap):
    """Beat runs of ``publish_pending``, each at the moment the row is due again (and one second
    before, when nothing may run); returns how long each failure made it wait."""
    waits, ran_at = [], first_run_at
    for _ in range(cap + 3):
        entry.refresh_from_db()
        if entry.next_attempt_at is None:
            break
        due = entry.next_attempt_at
        waits.append(round((due - ran_at).total_seconds()))
        runs = RUNS.get("k")
        assert outbox.publish_pending(now=due - timedelta(seconds=1), older_than_seconds=0) == 0
        assert RUNS.get("k") == runs, "sent again before its back-off was over"
        assert outbox.publish_pending(now=due, older_than_seconds=0) == 0  # ran, and failed
        ran_at = due
    return waits


def test_a_task_that_always_fails_is_tried_at_most_the_cap_then_set_aside(
    settings, django_capture_on_commit_callbacks
):
    settings.QMS_OUTBOX_MAX_ATTEMPTS = 5
    settings.QMS_OUTBOX_BACKOFF_SECONDS = 30
    RUNS.pop("k", None)
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        entry = outbox.enqueue(TASK, "k")
    assert RUNS["k"] == 1
    waits = run_the_sweep_until_it_stops(entry, first_run_at=started, cap=5)
    entry.refresh_from_db()
    assert RUNS["k"] == 5 and entry.failures == 5 and entry.attempts == 5
    assert waits[1:] == [60, 120, 240] and 29 <= waits[0] <= 31, "each wait doubles the last"
    assert entry.dead_at is not None and entry.next_attempt_at is None
    assert entry.published_at is None and "this task never succeeds" in entry.last_error
    far = timezone.now() + timedelta(days=30)
    assert outbox.publish_pending(now=far, older_than_seconds=0) == 0
    assert outbox.publish(entry.pk) is False
    assert RUNS["k"] == 5, "a task set aside is never run again by itself"


def test_the_back_off_has_a_ceiling(settings):
    settings.QMS_OUTBOX_BACKOFF_SECONDS = 30
    settings.QMS_OUTBOX_MAX_BACKOFF_SECONDS = 3600
    assert [outbox.backoff(n) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def set_aside(settings, capture):
    settings.QMS_OUTBOX_MAX_ATTEMPTS = 1
    RUNS.pop("k", None)
    with capture(execute=True):
        entry = outbox.enqueue(TASK, "k")
    entry.refresh_from_db()
    assert entry.dead_at is not None
    return entry


def test_the_admin_shows_tasks_set_aside_and_retries_them(
    settings, admin_user, client, django_capture_on_commit_callbacks
):
    entry = set_aside(settings, django_capture_on_commit_callbacks)
    waiting = outbox.enqueue("qms_portal.organisation.tasks.publish_outbox")  # not run: no commit
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    page = client.get(reverse(CHANGELIST), {"state": "dead"}).content.decode()
    assert "set aside after too many failures" in page and "this task never succeeds" in page
    assert f'value="{entry.pk}"' in page and f'value="{waiting.pk}"' not in page

    settings.QMS_OUTBOX_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "retry", "_selected_action": [entry.pk]}
        )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert RUNS["k"] == 2, "retried at once"
    # It failed again, and starts counting afresh: one failure, backing off, not set aside.
    assert entry.dead_at is None and entry.failures == 1 and entry.next_attempt_at is not None
    page = client.get(reverse(CHANGELIST), {"state": "retrying"}).content.decode()
    assert f'value="{entry.pk}"' in page and "failed, retried later" in page


def test_only_an_administrator_reaches_the_retry(
    settings, client, quality_manager, django_capture_on_commit_callbacks
):
    entry = set_aside(settings, django_capture_on_commit_callbacks)
    client.force_login(quality_manager)
    response = client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [entry.pk]})
    assert response.status_code in (302, 403)
    entry.refresh_from_db()
    assert entry.dead_at is not None and RUNS["k"] == 1


def test_a_broker_outage_is_not_the_task_failing(settings, django_capture_on_commit_callbacks):
    """However long the broker is away, queued work is never set aside for it."""
    from qms_portal.celery import app

    settings.QMS_OUTBOX_MAX_ATTEMPTS = 2
    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app.amqp._producer_pool = app._pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            entry = outbox.enqueue("qms_portal.organisation.tasks.publish_outbox")
        for _ in range(3):
            outbox.publish_pending(older_than_seconds=0)
    finally:
        app.conf.broker_url = saved
        app.amqp._producer_pool = app._pool = None
        app.conf.task_always_eager = True
    entry.refresh_from_db()
    assert entry.attempts == 4 and entry.failures == 0 and entry.dead_at is None
    assert OutboxTask.objects.due().filter(pk=entry.pk).exists()


def test_a_late_failure_report_of_an_earlier_attempt_changes_nothing(
    settings, django_capture_on_commit_callbacks
):
    """The worker names the delivery it failed (``outbox-<row>-<attempt>``): a report of an
    earlier attempt, arriving after a later one succeeded, neither re-runs nor sets aside the row;
    a report of the current attempt counts."""
    settings.QMS_OUTBOX_MAX_ATTEMPTS = 2
    RUNS.pop("late", None)
    with django_capture_on_commit_callbacks(execute=True):
        entry = outbox.enqueue("tests.foundation.failing_tasks.fails_once", "late")
    entry.refresh_from_db()
    assert (entry.attempts, entry.failures, entry.published_at) == (1, 1, None)
    assert outbox.publish_pending(now=entry.next_attempt_at, older_than_seconds=0) == 1
    entry.refresh_from_db()
    assert RUNS["late"] == 2 and entry.attempts == 2 and entry.published_at is not None
    assert entry.next_attempt_at is None, "a published row keeps no back-off"
    assert entry.failures == 1, "failures counts the past failures"

    assert outbox.record_worker_failure(f"outbox-{entry.pk}-1", RuntimeError("late")) is None
    entry.refresh_from_db()
    assert entry.published_at is not None and entry.failures == 1 and entry.dead_at is None
    assert outbox.record_worker_failure(f"outbox-{entry.pk}-x", RuntimeError("junk")) is None

    assert outbox.record_worker_failure(f"outbox-{entry.pk}-2", RuntimeError("now")) is not None
    entry.refresh_from_db()
    assert entry.dead_at is not None and entry.failures == 2 and "now" in entry.last_error
    assert outbox.record_worker_failure(f"outbox-{entry.pk}-2", RuntimeError("again")) is None


def test_a_staff_member_who_may_only_view_the_queue_cannot_retry(
    settings, client, quality_manager, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    entry = set_aside(settings, django_capture_on_commit_callbacks)
    quality_manager.is_staff = True
    quality_manager.save()
    quality_manager.user_permissions.add(
        Permission.objects.get(codename="view_outboxtask", content_type__app_label="organisation")
    )
    client.force_login(quality_manager)
    assert client.get(reverse(CHANGELIST)).status_code == 200  # sees the queue
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.dead_at is not None and RUNS["k"] == 1, "retried by a view-only user"
