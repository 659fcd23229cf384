"""Guards: a disposal record, a legal hold and a disposal run are never removed, by anyone.

``Model.delete`` is refused on the disposal record itself; the ``pre_delete`` guard refuses a
queryset delete and a cascade too (the admin's bulk action included), even inside a disposal run.
"""

from django.db.models.signals import pre_delete

from .models import DisposalRecord, DisposalRun, LegalHold, _record_is_final


def refuse_deletion(sender, instance, **kwargs):
    raise _record_is_final()


def connect():
    for model in (DisposalRecord, DisposalRun, LegalHold):
        pre_delete.connect(
            refuse_deletion, sender=model, dispatch_uid=f"retention-final:{model._meta.label}"
        )
