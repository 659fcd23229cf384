"""Downloads: permission-checked, integrity-checked, stamped PDFs, safe headers, originals intact."""

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from qms_portal.organisation.models import Notification
from tests.documents.conftest import PNG_BYTES, draft_document, make_effective, pdf_upload, upload

pytestmark = pytest.mark.django_db


def download_url(document, revision):
    return reverse("documents:download", args=[document.pk, revision.pk])


def test_effective_pdf_is_stamped_on_every_page_and_the_original_is_intact(
    owner, department_a, colleague, quality_manager, outsider, client
):
    document = draft_document(owner, department_a, upload=pdf_upload(pages=3))
    revision = make_effective(
        document.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    client.force_login(outsider)
    response = client.get(download_url(document, revision))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}-revA.pdf"'
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 3
    for page in pages:
        text = page.extract_text()
        assert (
            "UNCONTROLLED WHEN PRINTED" in text and document.number in text and "Effective" in text
        )
    with revision.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == revision.sha256


def test_drafts_download_as_the_original_for_their_department(draft, colleague, client):
    client.force_login(colleague)
    revision = draft.revisions.get()
    response = client.get(download_url(draft, revision))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == revision.sha256
    assert 'filename="procedure.pdf"' in response["Content-Disposition"]


def test_a_tampered_file_is_refused_and_reported(effective, outsider, quality_manager, client):
    revision = effective.revisions.get()
    with open(revision.file.path, "ab") as stored:
        stored.write(b"tampered")
    client.force_login(outsider)
    response = client.get(download_url(effective, revision))
    assert response.status_code == 409
    assert "integrity" in response.content.decode().lower()
    alert = Notification.objects.get(
        recipient=quality_manager, subject__startswith="Integrity alert"
    )
    assert revision.sha256 in alert.body


def test_image_revisions_are_served_as_attachments(owner, department_a, colleague, client):
    document = draft_document(owner, department_a, upload=upload("flow.png", PNG_BYTES))
    client.force_login(colleague)
    response = client.get(download_url(document, document.revisions.get()))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")


def test_anonymous_visitors_are_sent_to_sign_in(effective, client):
    response = client.get(download_url(effective, effective.revisions.get()))
    assert response.status_code == 302 and "/accounts/login/" in response.url
