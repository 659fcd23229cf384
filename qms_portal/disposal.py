"""The one way a protected record is ever deleted: an approved retention disposal run.

Signed, closed and effective records refuse deletion everywhere — the admin, a queryset delete, a
cascade (see ``qms_portal.signatures.protect_signatures`` and the record guards). A record whose
retention period has ended is still disposed of, once a disposal run has been approved and only
inside it: the run enters :func:`authorised_disposal`, and the guards let deletions through while
it is active, in that thread or task only. Everything else stays refused.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_active_disposal = ContextVar("qms_portal_active_disposal", default=None)


@contextmanager
def authorised_disposal(run):
    """Let the guards allow deletions while ``run`` (an approved disposal run) executes."""
    token = _active_disposal.set(run)
    try:
        yield run
    finally:
        _active_disposal.reset(token)


def active_disposal():
    """The approved disposal run executing now in this context, or None."""
    return _active_disposal.get()
