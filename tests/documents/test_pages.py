"""The document pages as staff use them: registering, bad uploads, home page work, query counts."""

import pytest
from django.urls import reverse

from documents.models import Document, Revision
from tests.documents.conftest import PNG_BYTES, docx_bytes, pdf_upload, upload

pytestmark = pytest.mark.django_db


def register_form(department, owner, file, **extra):
    return {
        "title": "Handling complaints",
        "doc_type": "procedure",
        "owner_department": department.pk,
        "owner": owner.pk,
        "confidentiality": "internal",
        "change_summary": "First issue",
        "file": file,
        **extra,
    }


def test_staff_register_a_document_with_a_file(client, owner, department_a):
    client.force_login(owner)
    response = client.post(
        reverse("documents:create"), register_form(department_a, owner, pdf_upload())
    )
    document = Document.objects.get()
    assert response.status_code == 302 and response.url == document.get_absolute_url()
    assert document.number == "PRO-FIN-001"
    assert document.revisions.get().status == Revision.Status.DRAFT


@pytest.mark.parametrize(
    "file, message",
    [
        (lambda: upload("scan.pdf", PNG_BYTES), "its content is PNG"),
        (lambda: upload("empty.pdf", b""), "empty"),
        (lambda: upload("setup.exe", b"MZ" + b"\0" * 64), "not accepted"),
        (lambda: upload("report.docx", docx_bytes()[:40]), "damaged"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_saved(
    client, owner, department_a, file, message, settings
):
    client.force_login(owner)
    response = client.post(reverse("documents:create"), register_form(department_a, owner, file()))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.exists() and not Revision.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_restricted_without_departments_is_refused(client, owner, department_a):
    client.force_login(owner)
    response = client.post(
        reverse("documents:create"),
        register_form(department_a, owner, pdf_upload(), confidentiality="restricted"),
    )
    assert response.status_code == 400
    assert "Name the departments" in response.content.decode()


def test_staff_cannot_register_for_another_department(client, outsider, department_a):
    client.force_login(outsider)
    response = client.post(
        reverse("documents:create"), register_form(department_a, outsider, pdf_upload())
    )
    assert response.status_code == 400  # the department is not among their choices
    assert not Document.objects.exists()


def test_outsider_cannot_start_a_revision(client, effective, outsider):
    client.force_login(outsider)
    url = reverse("documents:revision_new", args=[effective.pk])
    assert client.post(url, {"change_summary": "x", "file": pdf_upload()}).status_code == 403


def test_reviewers_see_what_to_sign_on_their_home_page(client, draft, colleague, quality_manager):
    revision = draft.revisions.get()
    client.force_login(draft.owner)
    client.post(
        reverse("documents:revision_submit", args=[draft.pk, revision.pk]),
        {"reviewers": [colleague.pk], "approvers": [quality_manager.pk]},
    )
    client.force_login(colleague)
    assert f"Sign {revision}" in client.get("/").content.decode()


def test_home_page_queries_do_not_grow_with_work(
    client, owner, department_a, colleague, quality_manager
):
    from documents import workflow
    from tests.documents.conftest import draft_document, make_effective
    from tests.documents.test_register import count_queries

    def add_work(n):
        for i in range(n):
            document = draft_document(owner, department_a, title=f"Doc {i}")
            revision = make_effective(
                document.revisions.get(), reviewer=owner, approver=quality_manager
            )
            workflow.assign_reading(revision_id=revision.pk, actor=owner, people=[colleague])

    client.force_login(colleague)
    add_work(2)
    small = count_queries(client, "/")
    add_work(8)
    assert count_queries(client, "/") == small
