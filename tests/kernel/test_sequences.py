"""References come from a sequence row per (agency, kind, year), never from a lock on the agency."""

import threading

import pytest
from django.db import connection, transaction
from model_bakery import baker

from qms_portal.organisation.models import Agency, ReferenceSequence
from qms_portal.sequences import next_reference, next_value


@pytest.mark.django_db
def test_numbers_count_up_per_agency_kind_and_year(agency, other_agency):
    with transaction.atomic():
        assert next_value(agency, "NC", 2026) == 1
        assert next_value(agency, "NC", 2026) == 2
        assert next_value(agency, "NC", 2027) == 1
        assert next_value(agency, "IA", 2026) == 1
        assert next_value(other_agency, "NC", 2026) == 1
    assert ReferenceSequence.objects.get(agency=agency, kind="NC", year=2026).last_value == 2


@pytest.mark.django_db
def test_a_reference_skips_numbers_already_used(agency):
    taken = {1, 2, 4}
    with transaction.atomic():
        first = next_value(agency, "X", 2026, is_taken=taken.__contains__)
        second = next_value(agency, "X", 2026, is_taken=taken.__contains__)
    assert (first, second) == (3, 5)


@pytest.mark.django_db
def test_next_reference_formats_and_starts_after_references_made_before_the_row(agency):
    from audits.capa.models import Nonconformity

    baker.make(Nonconformity, agency=agency, reference="NC-2026-001")
    baker.make(Nonconformity, agency=agency, reference="NC-2026-002")
    with transaction.atomic():
        assert next_reference(Nonconformity, agency, "NC", 2026) == "NC-2026-003"
        baker.make(Nonconformity, agency=agency, reference="NC-2026-004")  # made by other means
        assert next_reference(Nonconformity, agency.pk, "NC", 2026) == "NC-2026-005"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_writers_of_different_kinds_do_not_wait_on_each_other():
    """PostgreSQL: one transaction holds the NC row; the audit numbering of the same agency and
    year goes ahead at once (a lock on the agency row would make it wait)."""
    agency = Agency.objects.create(name="Concurrent Bureau", code="CB")
    holding, release, results = threading.Event(), threading.Event(), []

    def hold_nc_row():
        try:
            with transaction.atomic():
                next_value(agency.pk, "NC", 2026)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_nc_row)
    holder.start()
    assert holding.wait(10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            results.append(next_value(agency.pk, "IA", 2026))
    finally:
        release.set()
        holder.join(10)
    assert results == [1]
