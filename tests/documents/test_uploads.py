"""Uploads are judged by their bytes: disguised, empty, oversized, zip bombs and hostile names fail."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from qms_portal import uploads
from tests.documents.conftest import PNG_BYTES, docx_bytes, pdf_bytes, upload


def test_accepts_real_pdf_docx_png():
    assert uploads.check_upload(upload("a.pdf", pdf_bytes())).kind is uploads.PDF
    assert uploads.check_upload(upload("a.docx", docx_bytes())).kind is uploads.DOCX
    assert uploads.check_upload(upload("a.png", PNG_BYTES)).kind is uploads.PNG


def test_sha256_is_of_the_content():
    import hashlib

    checked = uploads.check_upload(upload("a.pdf", pdf_bytes()))
    assert checked.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.pdf", b"", "empty"),
        ("program.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not accepted"),
        ("image.pdf", PNG_BYTES, "its content is PNG"),
        ("notes.txt", b"plain text", "not accepted"),
        ("fake.docx", b"PK\x03\x04" + b"garbage" * 20, "damaged"),
    ],
)
def test_refuses_wrong_or_disguised_files(name, content, message):
    with pytest.raises(ValidationError, match=message):
        uploads.check_upload(upload(name, content))


def test_refuses_files_over_the_size_limit(settings):
    settings.QMS_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit is"):
        uploads.check_upload(upload("big.pdf", pdf_bytes()))


def test_refuses_a_zip_bomb_before_reading_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (30 * 1024 * 1024))
    with pytest.raises(ValidationError, match="bomb"):
        uploads.check_upload(upload("bomb.docx", buffer.getvalue()))


def test_refuses_a_zip_with_too_many_entries():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(uploads.ZIP_MAX_ENTRIES):
            archive.writestr(f"word/media/{n}.bin", "x")
    with pytest.raises(ValidationError, match="parts"):
        uploads.check_upload(upload("many.docx", buffer.getvalue()))


@pytest.mark.parametrize(
    "hostile, shown",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        ('a"b<c>.pdf', "a_b_c_.pdf"),
        ("\x00\x1fcontrol.pdf", "control.pdf"),
    ],
)
def test_hostile_names_never_reach_the_file_system(hostile, shown):
    checked = uploads.check_upload(upload(hostile, pdf_bytes()))
    assert "/" not in checked.display_name and ".." not in checked.display_name
    assert checked.storage_name.startswith("uploads/") and checked.storage_name.endswith(".pdf")
    assert len(checked.storage_name.split("/")[-1]) == 32 + 4
    assert uploads.safe_display_name(hostile) == shown


def test_text_is_extracted_from_pdf_and_docx(tmp_path):
    from django.core.files.base import File

    for name, content, expected in [
        ("a.pdf", pdf_bytes("Budget approval rules"), "Budget approval rules"),
        ("a.docx", docx_bytes("窗口受理 counter"), "窗口受理 counter"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        with path.open("rb") as handle:
            assert expected in uploads.extract_text(File(handle), name.split(".")[1])
