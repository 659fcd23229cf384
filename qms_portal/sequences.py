"""References numbered from a sequence row per (agency, kind, year): NC-2026-007, IA-2026-003.

The row is created on first use and locked (``select_for_update(of=("self",))``) only for the
length of the caller's transaction, so numbering serialises the writers of one kind of reference in
one agency and nothing else. Numbers taken by other means (a restore, hand-made demo data) are
skipped: ``is_taken`` tells which.
"""

from django.db import IntegrityError, transaction

from .organisation.models import ReferenceSequence


def _locked_row(agency_id, kind, year, start):
    try:
        with transaction.atomic():
            if not ReferenceSequence.objects.filter(
                agency_id=agency_id, kind=kind, year=year
            ).exists():
                ReferenceSequence.objects.create(
                    agency_id=agency_id, kind=kind, year=year, last_value=start() if start else 0
                )
    except IntegrityError:  # created concurrently by another writer: it exists now
        pass
    return ReferenceSequence.objects.select_for_update(of=("self",)).get(
        agency_id=agency_id, kind=kind, year=year
    )


def next_value(agency_id, kind, year, *, is_taken=None, start=None):
    """The next number of ``kind`` for the agency and year; must run inside ``atomic()``.

    ``start()`` gives a new row its first ``last_value`` (the numbers already used before the row
    existed); ``is_taken(number)`` may refuse numbers used elsewhere since, which are skipped."""
    agency_id = getattr(agency_id, "pk", agency_id)
    sequence = _locked_row(agency_id, kind, year, start)
    number = sequence.last_value + 1
    while is_taken is not None and is_taken(number):
        number += 1
    sequence.last_value = number
    sequence.save(update_fields=["last_value"])
    return number


next_value.alters_data = True


def next_reference(model, agency_id, prefix, year, *, width=3):
    """The next free reference ``<prefix>-<year>-<number>`` of ``model`` in the agency."""
    agency_id = getattr(agency_id, "pk", agency_id)
    stem = f"{prefix}-{year}-"

    def is_taken(number):
        reference = f"{stem}{number:0{width}d}"
        return model.objects.filter(agency_id=agency_id, reference=reference).exists()

    def start():
        return model.objects.filter(agency_id=agency_id, reference__startswith=stem).count()

    number = next_value(agency_id, prefix, year, is_taken=is_taken, start=start)
    return f"{stem}{number:0{width}d}"


next_reference.alters_data = True
