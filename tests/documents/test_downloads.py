"""Downloads: permission-checked, integrity-checked, stamped PDFs, safe headers, originals intact."""

import hashlib
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from documents import workflow
from documents.models import Acknowledgement, Revision
from qms_portal import uploads
from qms_portal.organisation.models import Notification
from tests.documents.conftest import (
    PNG_BYTES,
    docx_bytes,
    draft_document,
    make_effective,
    pdf_upload,
    upload,
)

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
    today = timezone.localdate().isoformat()
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"page {number}" in text  # the original content is still there, in order
        for stamp in (
            "UNCONTROLLED WHEN PRINTED",
            document.number,
            "Rev. A",
            "Effective",
            f"Downloaded {today}",
        ):
            assert stamp in text, (number, stamp)
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


def test_the_stamp_speaks_the_downloaders_language(effective, outsider, client):
    outsider.language = "zh-hans"
    outsider.save(update_fields=["language"])
    client.force_login(outsider)
    revision = effective.revisions.get()
    response = client.get(download_url(effective, revision))
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert f"版本 {revision.label}" in text
    assert f"下载于 {timezone.localdate().isoformat()}" in text
    assert "Downloaded" not in text and "Rev." not in text


@pytest.mark.parametrize(
    "path", ["/media/", "/media/documents/TC/whatever.pdf", "/media/../settings.py"]
)
def test_files_are_never_served_from_the_media_url(effective, quality_manager, client, path):
    """Stored files reach people only through the permission-checked download view."""
    client.force_login(quality_manager)
    assert client.get(path).status_code == 404
    stored = effective.revisions.get().file.name
    assert client.get(f"/media/{stored}").status_code == 404


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def superseded(owner, department_a, colleague, quality_manager, first_upload):
    """A document whose first revision (returned) has been replaced by a second, effective one."""
    document = draft_document(owner, department_a, upload=first_upload)
    first = make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    second = workflow.start_revision(
        document=document, actor=owner, change_summary="Second issue", upload=pdf_upload()
    )
    make_effective(second, reviewer=colleague, approver=quality_manager)
    first.refresh_from_db()
    assert first.status == Revision.Status.SUPERSEDED
    return document, first


@pytest.mark.parametrize("state", ["superseded", "obsolete"])
def test_old_pdf_revisions_are_served_stamped_as_no_longer_in_force(
    state, owner, department_a, colleague, quality_manager, outsider, client
):
    document, first = superseded(
        owner, department_a, colleague, quality_manager, pdf_upload(pages=2)
    )
    if state == "obsolete":
        workflow.make_obsolete(document_id=document.pk, actor=owner, reason="Merged")
        first = document.revisions.order_by("pk").last()
    first.refresh_from_db()
    assert first.status == state
    client.force_login(outsider)
    response = client.get(download_url(document, first))
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    with first.file.open("rb") as stored:
        assert len(pages) == len(PdfReader(stored).pages)
    notice = {
        "superseded": "SUPERSEDED — FOR REFERENCE ONLY",
        "obsolete": "OBSOLETE — NOT IN FORCE",
    }
    for page in pages:
        text = page.extract_text()
        assert notice[state] in text and "UNCONTROLLED WHEN PRINTED" in text
    with first.file.open("rb") as stored:
        assert response.content != stored.read()  # never the unmarked original


def test_an_agency_may_keep_old_revisions_from_readers_by_setting(
    settings, owner, department_a, colleague, quality_manager, outsider, client
):
    """``QMS_RETIRED_REVISION_DOWNLOADS = "editors"``: readers are refused (409, with what to
    do) and not offered the download; the document's editors still get the stamped copy."""
    settings.QMS_RETIRED_REVISION_DOWNLOADS = "editors"
    document, first = superseded(owner, department_a, colleague, quality_manager, pdf_upload())
    client.force_login(outsider)
    response = client.get(download_url(document, first))
    assert response.status_code == 409
    assert "only to those who may edit the document" in response.content.decode()
    page = client.get(first.get_absolute_url()).content.decode()
    assert 'data-download="copy"' not in page
    client.force_login(owner)
    response = client.get(download_url(document, first))
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "SUPERSEDED — FOR REFERENCE ONLY" in text


@pytest.mark.libreoffice  # a real LibreOffice conversion: run once, in .ci/run's PostgreSQL pass
def test_an_old_office_revision_is_served_as_its_stamped_rendition_and_whole_only_to_editors(
    owner,
    department_a,
    colleague,
    quality_manager,
    outsider,
    client,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):  # the rendition is made at upload
        document, first = superseded(
            owner,
            department_a,
            colleague,
            quality_manager,
            upload("steps.docx", docx_bytes(), DOCX),
        )
    client.force_login(outsider)
    response = client.get(download_url(document, first))
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "SUPERSEDED — FOR REFERENCE ONLY" in text and "permit counter" in text
    assert client.get(download_url(document, first), {"original": "1"}).status_code == 403
    client.force_login(owner)  # the owner department keeps the original
    response = client.get(download_url(document, first), {"original": "1"})
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == first.sha256


def test_an_old_image_revision_goes_only_to_its_editors(
    owner, department_a, colleague, quality_manager, outsider, client
):
    """An image is neither stamped nor rendered: once retired, only the editors may open it."""
    document, first = superseded(
        owner, department_a, colleague, quality_manager, upload("flow.png", PNG_BYTES)
    )
    client.force_login(outsider)
    response = client.get(download_url(document, first))
    assert response.status_code == 409
    assert "no longer in force" in response.content.decode()
    assert not Acknowledgement.objects.filter(revision=first, person=outsider).exists()
    client.force_login(owner)
    response = client.get(download_url(document, first))
    assert response.status_code == 200
    # the stored file is the upload re-encoded without metadata (qms_portal/uploads.py)
    assert b"".join(response.streaming_content) == uploads.clean_image(PNG_BYTES, uploads.PNG)
