"""Real files and documents in every state, made through the workflow itself."""

import io
import zipfile
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents import workflow
from documents.models import DocumentType, Signature
from tests.conftest import PASSWORD


@cache
def pdf_bytes(text="Procedure for paying suppliers", pages=1):
    from weasyprint import HTML

    body = "".join(
        f'<p style="page-break-after: always">{text} — page {n + 1}</p>' for n in range(pages)
    )
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def docx_bytes(text="Work instruction for the permit counter"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(
            "word/document.xml",
            f"<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201e2213c5d0000000049454e44ae426082"
)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(name="procedure.pdf", text="Procedure for paying suppliers", pages=1):
    return upload(name, pdf_bytes(text, pages), "application/pdf")


def draft_document(
    actor, department, *, title="Paying suppliers", doc_type=DocumentType.PROCEDURE, **extra
):
    extra.setdefault("upload", pdf_upload())
    return workflow.create_document(
        actor=actor,
        title=title,
        doc_type=doc_type,
        owner_department=department,
        owner=actor,
        change_summary="First issue",
        **extra,
    )


def make_effective(revision, *, reviewer, approver):
    workflow.submit_for_review(
        revision_id=revision.pk, actor=revision.author, reviewers=[reviewer], approvers=[approver]
    )
    workflow.sign(
        revision_id=revision.pk,
        signer=reviewer,
        password=PASSWORD,
        meaning=Signature.Meaning.REVIEWED,
    )
    workflow.sign(
        revision_id=revision.pk,
        signer=approver,
        password=PASSWORD,
        meaning=Signature.Meaning.APPROVED,
    )
    revision.refresh_from_db()
    return revision


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def draft(owner, department_a):
    return draft_document(owner, department_a)


@pytest.fixture
def effective(draft, colleague, quality_manager):
    make_effective(draft.revisions.get(), reviewer=colleague, approver=quality_manager)
    return draft
