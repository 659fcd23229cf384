"""The transactional outbox: work that must not be lost survives a broker outage.

``enqueue(task, ...)`` writes a row in the caller's transaction and publishes it after commit. A
broker that is down does not fail the request: the row stays unpublished and the beat task
``publish_pending`` sends it when the broker is back. Tasks are idempotent, so one published twice
(a crash between publishing and marking) still has one effect.
"""

import logging
from datetime import timedelta
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from qms_portal.celery import app
from qms_portal.organisation.models import OutboxTask

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs):
    """Record ``task(*args, **kwargs)`` now; publish it once the transaction commits."""
    name = task if isinstance(task, str) else task.name
    entry = OutboxTask.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: publish(entry.pk))
    return entry


def publish(entry_id):
    """Send one recorded task to Celery; True when sent. Never raises for a broker outage."""
    entry = OutboxTask.objects.filter(pk=entry_id, published_at__isnull=True).first()
    if entry is None:
        return False
    try:
        if app.conf.task_always_eager:  # embedded: run in-process now
            import_module(entry.task_name.rsplit(".", 1)[0])  # registers the task
            app.tasks[entry.task_name].apply(args=entry.args, kwargs=entry.kwargs, throw=True)
        else:
            app.send_task(entry.task_name, args=entry.args, kwargs=entry.kwargs, retry=False)
    except Exception as error:  # broker down, or (eager) the task failed: keep it for the sweep
        logger.warning(
            "outbox: task %s #%s not published yet: %s", entry.task_name, entry.pk, error
        )
        # history-exempt: delivery bookkeeping, not a regulated record
        OutboxTask.objects.filter(pk=entry.pk).update(
            attempts=entry.attempts + 1, last_error=str(error)[:300]
        )
        return False
    # history-exempt: delivery bookkeeping, not a regulated record
    OutboxTask.objects.filter(pk=entry.pk, published_at__isnull=True).update(
        published_at=timezone.now(), attempts=entry.attempts + 1, last_error=""
    )
    return True


def publish_pending(*, older_than_seconds=30, limit=1000):
    """Publish what an outage or a crash left behind. Returns how many were sent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = OutboxTask.objects.unpublished().filter(created_at__lte=cutoff).order_by("created_at")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    return sum(publish(entry_id) for entry_id in ids)
