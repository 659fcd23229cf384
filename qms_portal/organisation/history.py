"""Recording who caused a change when there is no web request (Celery tasks, commands)."""

from contextlib import contextmanager
from types import SimpleNamespace

from simple_history.models import HistoricalRecords


@contextmanager
def acting_as(person):
    """Attribute history rows written inside the block to ``person``.

    Celery tasks receive the acting person's id and wrap their work in this, so the audit trail
    names the person who asked for the work, not "system".
    """
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=person) if person is not None else None
    try:
        yield
    finally:
        if previous is None:
            if hasattr(context, "request"):
                del context.request
        else:
            context.request = previous
