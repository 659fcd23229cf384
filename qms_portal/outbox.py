"""The transactional outbox: work that must not be lost survives a broker outage.

``enqueue(task, ...)`` writes a row in the caller's transaction and publishes it after commit. A
broker that is down does not fail the request: the row stays unpublished and the beat task
``publish_pending`` sends it when the broker is back. Tasks are idempotent, so one published twice
(a crash between publishing and marking) still has one effect.

A task that *fails* (raises in-process, or in the worker: the ``task_failure`` signal names the
row by its task id) is sent again after a back-off that doubles each time; after
``QMS_OUTBOX_MAX_ATTEMPTS`` failures it is dead-lettered — kept, shown in the admin with its last
error, never sent again until an administrator retries it (:func:`requeue`). A broker outage is
not the task failing: such rows keep waiting for the broker, however long it is away.
"""

import logging
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qms_portal.celery import app
from qms_portal.organisation.models import OutboxTask

logger = logging.getLogger(__name__)

#: Celery task ids of outbox deliveries: ``outbox-<row id>-<attempt>``.
TASK_ID_PREFIX = "outbox-"


def enqueue(task, *args, **kwargs):
    """Record ``task(*args, **kwargs)`` now; publish it once the transaction commits."""
    name = task if isinstance(task, str) else task.name
    entry = OutboxTask.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: publish(entry.pk))
    return entry


def publish(entry_id, *, now=None):
    """Send one recorded task to Celery; True when sent. Never raises for a broker outage or a
    failing task; a row set aside or still backing off is left alone."""
    entry = OutboxTask.objects.due(now).filter(pk=entry_id).first()
    if entry is None:
        return False
    if app.conf.task_always_eager:  # embedded: run in-process now
        try:
            import_module(entry.task_name.rsplit(".", 1)[0])  # registers the task
            app.tasks[entry.task_name].apply(args=entry.args, kwargs=entry.kwargs, throw=True)
        except Exception as error:  # noqa: BLE001 - the task failed: back off, then retry
            record_failure(entry.pk, error, now=now, counted_attempt=True)
            return False
        # history-exempt: delivery bookkeeping, not a regulated record
        OutboxTask.objects.filter(pk=entry.pk).update(attempts=F("attempts") + 1)
    else:
        # The attempt is counted before it is sent, so a worker that fails it at once reports the
        # attempt the row already holds (see record_worker_failure).
        # history-exempt: delivery bookkeeping, not a regulated record
        OutboxTask.objects.filter(pk=entry.pk).update(attempts=F("attempts") + 1)
        try:
            app.send_task(
                entry.task_name,
                args=entry.args,
                kwargs=entry.kwargs,
                task_id=f"{TASK_ID_PREFIX}{entry.pk}-{entry.attempts + 1}",
                retry=False,
            )
        except Exception as error:  # broker down: keep it for the sweep, not the task's fault
            logger.warning(
                "outbox: task %s #%s not published yet: %s", entry.task_name, entry.pk, error
            )
            # history-exempt: delivery bookkeeping, not a regulated record
            OutboxTask.objects.filter(pk=entry.pk).update(last_error=str(error)[:300])
            return False
    # Marked published unless the worker was quicker and already reported a failure of it; a
    # failure's back-off no longer applies (``failures`` stays the count of past failures).
    # history-exempt: delivery bookkeeping, not a regulated record
    OutboxTask.objects.filter(
        pk=entry.pk, published_at__isnull=True, failures=entry.failures
    ).update(published_at=timezone.now(), last_error="", next_attempt_at=None)
    return True


def backoff(failures):
    """Seconds to wait after the ``failures``-th failure: the base, doubled each time, capped."""
    base = settings.QMS_OUTBOX_BACKOFF_SECONDS
    return min(base * 2 ** max(failures - 1, 0), settings.QMS_OUTBOX_MAX_BACKOFF_SECONDS)


def record_failure(entry_id, error, *, now=None, counted_attempt=False, attempt=None):
    """The task of ``entry_id`` failed: schedule it again after the back-off, or, at the cap,
    set it aside (dead-letter). ``counted_attempt``: this failure is also a new attempt (in-process
    runs; a worker's failure was counted when it was published). ``attempt``: the delivery the
    worker reports; a late or duplicate report of an earlier one is ignored."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = OutboxTask.objects.select_for_update(of=("self",)).filter(pk=entry_id).first()
        if entry is None or entry.dead_at is not None:
            return None
        if attempt is not None and attempt != entry.attempts:
            logger.info("outbox: ignored a report of attempt %s of #%s", attempt, entry.pk)
            return None
        entry.failures += 1
        entry.attempts += 1 if counted_attempt else 0
        entry.last_error = f"{type(error).__name__}: {error}"[:300]
        entry.published_at = None
        if entry.failures >= settings.QMS_OUTBOX_MAX_ATTEMPTS:
            entry.dead_at, entry.next_attempt_at = now, None
            logger.error(
                "outbox: task %s #%s failed %s times and was set aside: %s",
                entry.task_name,
                entry.pk,
                entry.failures,
                entry.last_error,
            )
        else:
            entry.next_attempt_at = now + timedelta(seconds=backoff(entry.failures))
            logger.warning(
                "outbox: task %s #%s failed (%s), retried after %s: %s",
                entry.task_name,
                entry.pk,
                entry.failures,
                entry.next_attempt_at.isoformat(timespec="seconds"),
                entry.last_error,
            )
        entry.save(
            update_fields=["failures", "attempts", "last_error", "published_at", "dead_at"]
            + ["next_attempt_at"]
        )
    return entry


def record_worker_failure(task_id, error):
    """``task_failure`` in the worker: when the task came from the outbox, record the failure."""
    if not (task_id or "").startswith(TASK_ID_PREFIX):
        return None
    entry_id, _, attempt = task_id.removeprefix(TASK_ID_PREFIX).partition("-")
    if not (entry_id.isdigit() and attempt.isdigit()):
        return None
    return record_failure(int(entry_id), error, attempt=int(attempt))


def requeue(entry_ids):
    """An administrator retries tasks that were set aside (or are backing off): they start again
    with no failures counted and are published after commit. Returns how many."""
    # history-exempt: delivery bookkeeping, not a regulated record
    count = OutboxTask.objects.filter(pk__in=list(entry_ids), published_at__isnull=True).update(
        dead_at=None, next_attempt_at=None, failures=0
    )
    for entry_id in entry_ids:
        transaction.on_commit(lambda entry_id=entry_id: publish(entry_id))
    return count


def publish_pending(*, older_than_seconds=30, limit=1000, now=None):
    """Publish what an outage, a crash or a failure's back-off left behind; rows set aside wait for
    an administrator. Returns how many were sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    pending = OutboxTask.objects.due(now).filter(created_at__lte=cutoff).order_by("created_at")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    return sum(publish(entry_id, now=now) for entry_id in ids)
