"""Document numbers follow the scheme per type and department, and are unique."""

import pytest
from django.db import IntegrityError

from documents.models import Document, DocumentType, NumberingScheme
from tests.documents.conftest import draft_document

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_type_and_department(
    owner, department_a, quality_manager, department_b
):
    first = draft_document(owner, department_a)
    second = draft_document(owner, department_a, title="Petty cash")
    form = draft_document(owner, department_a, title="Claim form", doc_type=DocumentType.FORM)
    other = draft_document(quality_manager, department_b, title="Street cleaning")
    assert [first.number, second.number, form.number, other.number] == [
        "PRO-FIN-001",
        "PRO-FIN-002",
        "FRM-FIN-001",
        "PRO-URB-001",
    ]


def test_the_scheme_is_configurable(owner, department_a, agency):
    NumberingScheme.objects.create(
        agency=agency,
        doc_type=DocumentType.WORK_INSTRUCTION,
        prefix="ZY",
        number_format="{department}/{prefix}/{year}/{sequence:04d}",
        review_period_months=24,
    )
    document = draft_document(owner, department_a, doc_type=DocumentType.WORK_INSTRUCTION)
    from django.utils import timezone

    assert document.number == f"FIN/ZY/{timezone.localdate().year}/0001"
    assert document.review_period_months == 24


def test_a_taken_number_is_skipped_and_duplicates_are_refused_by_the_database(owner, department_a):
    first = draft_document(owner, department_a)
    Document.objects.filter(pk=first.pk).update(number="PRO-FIN-002")
    assert draft_document(owner, department_a, title="Next").number == "PRO-FIN-003"
    with pytest.raises(IntegrityError):
        Document.objects.create(
            agency=first.agency,
            number="PRO-FIN-003",
            title="x",
            doc_type="procedure",
            owner_department=department_a,
            owner=owner,
        )


def test_staff_cannot_register_documents_for_another_department(outsider, department_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        draft_document(outsider, department_a)
    assert not Document.objects.exists()


def test_numbers_come_from_the_agencys_sequence_of_prefix_and_department(
    owner, department_a, agency
):
    """One kernel sequence row per (agency, prefix-department, year; 0 without a year)."""
    from qms_portal.organisation.models import ReferenceSequence

    draft_document(owner, department_a)
    draft_document(owner, department_a, title="Petty cash")
    row = ReferenceSequence.objects.get(agency=agency, kind="PRO-FIN")
    assert (row.year, row.last_value) == (0, 2)
    NumberingScheme.objects.create(
        agency=agency,
        doc_type=DocumentType.FORM,
        prefix="FRM",
        number_format="{prefix}-{year}-{sequence:03d}",
    )
    draft_document(owner, department_a, title="Claim form", doc_type=DocumentType.FORM)
    from django.utils import timezone

    year = timezone.localdate().year
    assert ReferenceSequence.objects.get(agency=agency, kind="FRM-FIN", year=year).last_value == 1
