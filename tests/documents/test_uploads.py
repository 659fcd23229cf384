"""Uploads are judged by their bytes: disguised, empty, oversized, zip bombs and hostile names fail."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from qms_portal import uploads
from tests.documents.conftest import (
    PNG_BYTES,
    docx_bytes,
    docx_whose_header_lies,
    pdf_bytes,
    pdf_with,
    png_declaring,
    upload,
)


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


def test_refuses_a_zip_whose_headers_lie_about_the_size_of_an_entry():
    """Both headers claim 100 bytes; the entry really expands to 20 MB from ~20 KB."""
    with pytest.raises(ValidationError, match="bomb"):
        uploads.check_upload(upload("liar.docx", docx_whose_header_lies()))


def test_refuses_a_zip_entry_smaller_than_its_headers_claim():
    content = docx_whose_header_lies(real_size=1000, claimed_size=5000)
    with pytest.raises(ValidationError, match="damaged"):
        uploads.check_upload(upload("short.docx", content))


@pytest.mark.parametrize(
    "content",
    [
        pdf_with(open_action_script="app.launchURL('https://example.org/steal')"),
        pdf_with(attachment=("invoice.exe", b"MZ\x90\x00")),
        # the same names written with #-escapes, as a scanner of raw bytes would miss them
        pdf_with(open_action_script="app.alert(1)")
        .replace(b"/JavaScript", b"/J#61vaScript")
        .replace(b"/JS ", b"/J#53 "),
    ],
    ids=["javascript-open-action", "embedded-file", "escaped-names"],
)
def test_refuses_a_pdf_that_runs_scripts_or_carries_files(content):
    with pytest.raises(ValidationError, match="scripts, automatic actions or embedded files"):
        uploads.check_upload(upload("active.pdf", content))


def test_accepts_a_pdf_that_only_opens_at_its_first_page():
    assert uploads.check_upload(upload("plain.pdf", pdf_with(open_page=True))).kind is uploads.PDF


def test_refuses_a_file_that_starts_like_a_pdf_but_is_not_one():
    with pytest.raises(ValidationError, match="not a readable PDF"):
        uploads.check_upload(upload("fake.pdf", b"%PDF-1.7\n" + b"not a pdf at all " * 50))


def test_refuses_an_image_larger_than_the_pixel_limit_from_its_header():
    """40,000 × 40,000 pixels in a few hundred bytes: refused before anything is decoded."""
    huge = png_declaring(40_000, 40_000)
    assert len(huge) < 2000
    with pytest.raises(ValidationError, match="40000 × 40000 pixels; at most 40 megapixels"):
        uploads.check_upload(upload("huge.png", huge), allowed=uploads.IMAGE_KINDS)


def test_refuses_an_image_that_cannot_be_decoded():
    truncated = PNG_BYTES[:40]
    with pytest.raises(ValidationError, match="not a readable image"):
        uploads.check_upload(upload("broken.png", truncated), allowed=uploads.IMAGE_KINDS)


def test_an_image_is_stored_re_encoded_and_recorded_as_stored():
    import hashlib

    from PIL import Image

    checked = uploads.check_upload(upload("flow.png", PNG_BYTES))
    stored = checked.content.read()
    assert Image.open(io.BytesIO(stored)).size == (1, 1)
    assert checked.sha256 == hashlib.sha256(stored).hexdigest() and checked.size == len(stored)


@pytest.mark.parametrize("transparent_index", [0, 5])
def test_a_palette_png_keeps_its_transparent_colour_even_index_zero(transparent_index):
    from PIL import Image

    from qms_portal.uploads import PNG, clean_image

    image = Image.new("P", (8, 8), color=transparent_index)
    image.putpalette([value for index in range(256) for value in (index, index, index)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=transparent_index)
    cleaned = Image.open(io.BytesIO(clean_image(buffer.getvalue(), PNG)))
    assert cleaned.info.get("transparency") == transparent_index
