"""Stamping and text extraction are bounded: a costly file is stamped in one rendering, and work
past its time or memory bound is stopped and refused, never left to hold a web worker.

The bounds set here (50 ms) are a small fraction of what the work takes on any machine (a
WeasyPrint rendering of a hundred page sizes, text of thirty full pages), so they always stop it."""

import io
import logging

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from documents.stamping import stamped_pdf
from qms_portal import uploads
from tests.documents.conftest import (
    draft_document,
    make_effective,
    pdf_bytes,
    pdf_of_page_sizes,
    upload,
)

pytestmark = pytest.mark.django_db

LONG_TEXT = "Procedure for paying suppliers, checked by the finance department. " * 20


def test_a_pdf_of_a_hundred_page_sizes_is_stamped_on_every_page_at_its_size():
    source = pdf_of_page_sizes(100)
    assert len(source) < 20_000  # the tester's 12.5 KB file
    stamped = PdfReader(
        io.BytesIO(
            stamped_pdf(
                io.BytesIO(source), number="PRO-FIN-001", label="A", status="Effective", date="d"
            )
        )
    )
    original = PdfReader(io.BytesIO(source))
    assert len(stamped.pages) == 100
    for page, before in zip(stamped.pages, original.pages, strict=True):
        assert page.mediabox == before.mediabox
        assert "UNCONTROLLED WHEN PRINTED" in page.extract_text()


def test_a_copy_that_cannot_be_stamped_within_its_bounds_is_refused_not_served_bare(
    client, owner, department_a, colleague, quality_manager, settings, caplog
):
    document = draft_document(
        owner, department_a, upload=upload("sizes.pdf", pdf_of_page_sizes(100))
    )
    revision = document.revisions.get()
    make_effective(revision, reviewer=colleague, approver=quality_manager)
    settings.QMS_STAMP_TIMEOUT_SECONDS = 0.05
    client.force_login(owner)
    with caplog.at_level(logging.ERROR, logger="documents.stamping"):
        response = client.get(reverse("documents:download", args=[document.pk, revision.pk]))
    assert response.status_code == 409
    assert "could not be stamped within the portal" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")  # not the unstamped PDF
    assert any("not stamped" in record.getMessage() for record in caplog.records)


def test_text_extraction_past_its_bounds_leaves_the_file_unsearchable(settings, caplog):
    stored = ContentFile(pdf_bytes(LONG_TEXT, pages=30), name="long.pdf")
    assert "paying suppliers" in uploads.extract_text(stored, "pdf")
    settings.QMS_TEXT_EXTRACTION_TIMEOUT_SECONDS = 0.05
    with caplog.at_level(logging.WARNING, logger="qms_portal.uploads"):
        assert uploads.extract_text(stored, "pdf") == ""
    assert any("No search text" in record.getMessage() for record in caplog.records)
