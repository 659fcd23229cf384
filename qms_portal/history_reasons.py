"""History reasons are stored as stable text and translated when shown.

A reason is a fixed English phrase, marked for translation with ``gettext_noop`` (or passed lazily
with ``gettext_lazy``), optionally followed by ``": "`` and free text the person typed::

    MACHINE.move(nc, "nc_contain", actor=owner, reason=history_reasons.reason(CONTAINED, text))

The audit trail then reads the same whoever wrote it, and each reader sees the phrase in their own
language (``{{ entry.history_change_reason|history_reason }}``); the free text stays as typed.
"""

from django.utils import translation
from django.utils.translation import gettext

SEPARATOR = ": "
MAX_LENGTH = 500


def stable(text):
    """The source text of ``text``: a lazy translation is stored untranslated, never in the
    actor's language; anything else as given."""
    if text is None:
        return None
    with translation.override(None):
        return str(text)[:MAX_LENGTH]


def reason(phrase, detail=""):
    """``phrase`` (a stable English msgid), followed by the person's own ``detail`` if any."""
    phrase = stable(phrase)
    detail = " ".join(str(detail or "").split())
    return f"{phrase}{SEPARATOR}{detail}"[:MAX_LENGTH] if detail else phrase


def shown(stored):
    """A stored reason in the reader's language: the phrase translated, the detail as typed."""
    if not stored:
        return stored
    phrase, separator, detail = str(stored).partition(SEPARATOR)
    return gettext(phrase) + separator + detail
