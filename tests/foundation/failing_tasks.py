"""A Celery task that always fails, for the outbox's retry, back-off and dead-letter tests (a real
task: the in-process run imports this module by the task's name; a worker gets ``--include``)."""

from celery import shared_task

#: key → how many times the task ran in this process (in-process, eager runs).
RUNS = {}


@shared_task(name="tests.foundation.failing_tasks.always_fails")
def always_fails(key):
    RUNS[key] = RUNS.get(key, 0) + 1
    raise RuntimeError(f"{key}: this task never succeeds")


@shared_task(name="tests.foundation.failing_tasks.fails_once")
def fails_once(key):
    """Fails on its first run for ``key``, succeeds afterwards."""
    RUNS[key] = RUNS.get(key, 0) + 1
    if RUNS[key] == 1:
        raise RuntimeError(f"{key}: the first run fails")
