"""PDF renditions: DOCX, XLSX and ODT revisions reach readers as a PDF made by LibreOffice and
stamped like any PDF; the original goes only to the document's editors.

Real conversions by Debian's LibreOffice cost a second or two each, so they are few (one per format
for the conversion itself, one per document below) and the module carries the ``libreoffice``
marker: .ci/run's embedded pass deselects it and the PostgreSQL pass runs it, once.
"""

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from documents import access, renditions, tasks, workflow
from documents.models import Rendition, Revision
from qms_portal.organisation.models import OutboxTask
from tests.documents.conftest import (
    docx_bytes,
    draft_document,
    make_effective,
    odt_bytes,
    pdf_upload,
    upload,
    xlsx_bytes,
)

pytestmark = [pytest.mark.libreoffice, pytest.mark.django_db]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORDING = "Work instruction for the permit counter"
NOTICES = {
    Revision.Status.EFFECTIVE: "UNCONTROLLED WHEN PRINTED",
    Revision.Status.SUPERSEDED: "SUPERSEDED — FOR REFERENCE ONLY",
    Revision.Status.OBSOLETE: "OBSOLETE — NOT IN FORCE",
}


def download(client, revision, **query):
    url = reverse("documents:download", args=[revision.document_id, revision.pk])
    return client.get(url, query)


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def is_original(content, revision):
    return hashlib.sha256(content).hexdigest() == revision.sha256


def pdf_text(content):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def docx_document(owner, department, capture, text=WORDING):
    """A DOCX procedure whose rendition is made as the upload commits (eager, as embedded)."""
    with capture(execute=True):
        document = draft_document(
            owner, department, upload=upload("steps.docx", docx_bytes(text), DOCX)
        )
    return document, document.revisions.get()


@pytest.fixture(scope="module")
def converted():
    """Each format converted once by LibreOffice itself."""
    return {
        "docx": renditions.convert_to_pdf(docx_bytes("Work instruction for the counter"), "docx"),
        "xlsx": renditions.convert_to_pdf(xlsx_bytes("Calibration log of the scales"), "xlsx"),
        "odt": renditions.convert_to_pdf(odt_bytes("Records form for site visits"), "odt"),
    }


@pytest.mark.parametrize(
    "extension, text",
    [
        ("docx", "Work instruction for the counter"),
        ("xlsx", "Calibration log of the scales"),
        ("odt", "Records form for site visits"),
    ],
)
def test_libreoffice_turns_each_office_format_into_a_pdf_with_its_text(converted, extension, text):
    pdf = converted[extension]
    assert pdf.startswith(b"%PDF-")
    assert text in pdf_text(pdf)


def test_the_rendition_is_made_at_upload_with_its_own_hash_and_history(
    owner, department_a, django_capture_on_commit_callbacks
):
    _document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    rendition = revision.rendition
    assert rendition.status == Rendition.Status.READY
    assert rendition.source_sha256 == revision.sha256
    with rendition.file.open("rb") as stored:
        content = stored.read()
    assert hashlib.sha256(content).hexdigest() == rendition.sha256
    assert rendition.file_size == len(content)
    assert WORDING in pdf_text(content)
    assert "PDF rendition made" in set(
        rendition.history.values_list("history_change_reason", flat=True)
    )


def test_readers_get_the_stamped_rendition_never_the_original_and_editors_get_both(
    owner,
    department_a,
    colleague,
    quality_manager,
    outsider,
    client,
    django_capture_on_commit_callbacks,
):
    document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    make_effective(revision, reviewer=colleague, approver=quality_manager)

    client.force_login(outsider)
    response = download(client, revision)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}-revA.pdf"'
    text = pdf_text(response.content)
    for words in (WORDING, "UNCONTROLLED WHEN PRINTED", document.number, "Rev. A", "Effective"):
        assert words in text, words
    assert download(client, revision, original="1").status_code == 403
    page = client.get(revision.get_absolute_url()).content.decode()
    assert 'data-download="copy"' in page and 'data-download="original"' not in page

    client.force_login(colleague)  # staff of the owner department may edit it
    response = download(client, revision, original="1")
    assert response.status_code == 200
    assert is_original(body_of(response), revision)
    assert 'filename="steps.docx"' in response["Content-Disposition"]
    page = client.get(revision.get_absolute_url()).content.decode()
    assert 'data-download="copy"' in page and 'data-download="original"' in page
    assert "UNCONTROLLED WHEN PRINTED" in pdf_text(download(client, revision).content)


@pytest.mark.parametrize("state", [Revision.Status.SUPERSEDED, Revision.Status.OBSOLETE])
def test_a_retired_office_revision_reaches_readers_as_its_rendition_with_the_notice(
    state,
    owner,
    department_a,
    colleague,
    quality_manager,
    outsider,
    client,
    django_capture_on_commit_callbacks,
):
    document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    make_effective(revision, reviewer=colleague, approver=quality_manager)
    if state == Revision.Status.SUPERSEDED:
        second = workflow.start_revision(
            document=document, actor=owner, change_summary="Second issue", upload=pdf_upload()
        )
        make_effective(second, reviewer=colleague, approver=quality_manager)
    else:
        workflow.make_obsolete(document_id=document.pk, actor=owner, reason="Merged")
    revision.refresh_from_db()
    assert revision.status == state
    client.force_login(outsider)
    response = download(client, revision)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert NOTICES[state] in text and "UNCONTROLLED WHEN PRINTED" in text and WORDING in text
    refused = download(client, revision, original="1")
    assert refused.status_code == 403 and not is_original(body_of(refused), revision)
    client.force_login(owner)
    assert is_original(body_of(download(client, revision, original="1")), revision)


def test_a_tampered_rendition_is_refused_like_a_tampered_original(
    owner,
    department_a,
    colleague,
    quality_manager,
    outsider,
    client,
    django_capture_on_commit_callbacks,
):
    _document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    make_effective(revision, reviewer=colleague, approver=quality_manager)
    with open(revision.rendition.file.path, "ab") as stored:
        stored.write(b"tampered")
    client.force_login(outsider)
    response = download(client, revision)
    assert response.status_code == 409
    assert "integrity" in response.content.decode().lower()


def test_until_the_rendition_is_made_readers_get_a_409_and_editors_the_original(
    owner, department_a, colleague, quality_manager, outsider, client
):
    document = draft_document(
        owner, department_a, upload=upload("steps.docx", docx_bytes(), DOCX)
    )  # the upload's commit never came: the conversion is still queued
    revision = make_effective(
        document.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    assert revision.rendition.status == Rendition.Status.PENDING
    client.force_login(outsider)
    response = download(client, revision)
    assert response.status_code == 409
    assert "controlled PDF copy" in response.content.decode()
    assert "being prepared" in response.content.decode()
    assert 'data-download="copy"' not in client.get(revision.get_absolute_url()).content.decode()
    client.force_login(owner)
    assert is_original(body_of(download(client, revision, original="1")), revision)
    assert "being prepared" in client.get(revision.get_absolute_url()).content.decode()


def test_a_failed_conversion_is_recorded_keeps_the_upload_and_runs_again_once(
    owner, department_a, settings, django_capture_on_commit_callbacks
):
    settings.QMS_SOFFICE = "/nonexistent/soffice"
    _document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    rendition = revision.rendition
    assert rendition.status == Rendition.Status.FAILED
    assert "not installed" in rendition.error and rendition.attempts == 1
    with revision.file.open("rb") as stored:
        assert is_original(stored.read(), revision)  # the upload stands
    entry = OutboxTask.objects.get(task_name="documents.tasks.render_revision_pdf")
    assert entry.published_at is not None  # the task recorded the failure, it did not crash

    settings.QMS_SOFFICE = "soffice"
    assert tasks.render_revision_pdf(revision.pk) is True
    rendition.refresh_from_db()
    assert rendition.status == Rendition.Status.READY and rendition.error == ""
    made = (rendition.storage_name, rendition.sha256, rendition.history.count())
    assert tasks.render_revision_pdf(revision.pk) is False  # a second run changes nothing
    rendition.refresh_from_db()
    assert (rendition.storage_name, rendition.sha256, rendition.history.count()) == made


def test_a_corrected_draft_waits_for_a_rendition_of_its_new_file(
    owner, department_a, colleague, client, django_capture_on_commit_callbacks
):
    _document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    workflow.update_draft(
        revision_id=revision.pk,
        actor=owner,
        change_summary="Corrected",
        upload=upload("steps.docx", docx_bytes("Corrected wording"), DOCX),
    )
    revision.refresh_from_db()
    assert revision.rendition.status == Rendition.Status.PENDING
    assert not revision.rendition.is_ready_for(revision)
    client.force_login(colleague)
    assert download(client, revision).status_code == 409


def test_the_demo_form_is_seeded_with_its_stamped_rendition(
    client, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from qms_portal.organisation.models import Person

    with django_capture_on_commit_callbacks(execute=True):  # as seed_demo's own commit does
        call_command("seed_demo", stdout=io.StringIO())
    revision = Revision.objects.get(file_kind="docx")
    assert revision.status == Revision.Status.EFFECTIVE
    assert revision.rendition.status == Rendition.Status.READY
    reader = Person.objects.filter(agency_id=revision.document.agency_id, is_active=True).exclude(
        memberships__department=revision.document.owner_department
    )
    reader = next(p for p in reader if not access.can_edit(p, revision.document))
    client.force_login(reader)
    text = pdf_text(download(client, revision).content)
    assert "UNCONTROLLED WHEN PRINTED" in text and "applicant" in text


def test_make_renditions_queues_again_those_not_made(
    owner, department_a, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    settings.QMS_SOFFICE = "/nonexistent/soffice"
    _document, revision = docx_document(owner, department_a, django_capture_on_commit_callbacks)
    draft_document(owner, department_a, title="A PDF", upload=pdf_upload())  # nothing to render
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("make_renditions", stdout=out)
    assert "1 rendition(s) queued" in out.getvalue()
    revision.rendition.refresh_from_db()
    assert revision.rendition.attempts == 2
    assert revision.rendition.status == Rendition.Status.FAILED
