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


RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _zip(parts, *, stored_first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:  # an OpenDocument's mimetype: first, uncompressed
            archive.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1])
        for name, xml in parts.items():
            archive.writestr(name, f'<?xml version="1.0" encoding="UTF-8"?>{xml}')
    return buffer.getvalue()


def _content_types(main_part, main_type, *extra):
    overrides = "".join(
        f'<Override PartName="/{part}" ContentType="{kind}"/>'
        for part, kind in ((main_part, main_type), *extra)
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
    )


def _relationships(*targets):
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{OFFICE_DOCUMENT}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'<Relationships xmlns="{RELS}">{links}</Relationships>'


def docx_bytes(text="Work instruction for the permit counter"):
    """A minimal Word file that LibreOffice opens (and the upload check accepts as DOCX)."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    return _zip(
        {
            "[Content_Types].xml": _content_types("word/document.xml", main),
            "_rels/.rels": _relationships(("officeDocument", "word/document.xml")),
            "word/document.xml": (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
            ),
        }
    )


def xlsx_bytes(text="Calibration log of the scales"):
    """A minimal workbook of one sheet whose first cell holds ``text``."""
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return _zip(
        {
            "[Content_Types].xml": _content_types(
                "xl/workbook.xml",
                f"{main}.sheet.main+xml",
                ("xl/worksheets/sheet1.xml", f"{main}.worksheet+xml"),
            ),
            "_rels/.rels": _relationships(("officeDocument", "xl/workbook.xml")),
            "xl/workbook.xml": (
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'xmlns:r="{OFFICE_DOCUMENT}"><sheets><sheet name="Log" sheetId="1" r:id="rId1"/>'
                "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": _relationships(("worksheet", "worksheets/sheet1.xml")),
            "xl/worksheets/sheet1.xml": (
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
                f"<t>{text}</t></is></c></row></sheetData></worksheet>"
            ),
        }
    )


def odt_bytes(text="Records form for site visits"):
    """A minimal OpenDocument text of one paragraph."""
    mimetype = "application/vnd.oasis.opendocument.text"
    return _zip(
        {
            "META-INF/manifest.xml": (
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{mimetype}"/><manifest:file-entry manifest:full-path='
                '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
            ),
            "content.xml": (
                '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                f'office:version="1.2"><office:body><office:text><text:p>{text}</text:p>'
                "</office:text></office:body></office:document-content>"
            ),
        },
        stored_first=("mimetype", mimetype),
    )


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


# Hostile files, built byte by byte -------------------------------------------------------------


def png_declaring(width, height):
    """A small PNG whose header declares ``width`` × ``height`` (1-bit grey) and whose data holds
    only the first rows: a decoder that trusts the header allocates the whole image."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * 8, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def pdf_with(*, open_action_script=None, attachment=None, open_page=False):
    """A one-page PDF (pypdf) that runs ``open_action_script`` when opened, carries an embedded
    ``attachment`` (name, bytes), or merely opens at its first page (``open_page``)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if open_action_script:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(open_action_script),
            }
        )
    if attachment:
        writer.add_attachment(*attachment)
    if open_page:
        writer._root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")]
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_of_page_sizes(count):
    """A small PDF of ``count`` blank pages, each of its own size (the costly case for stamping)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for n in range(count):
        writer.add_blank_page(width=300 + 3 * n, height=400 + 5 * n)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_whose_header_lies(real_size=20 * 1024 * 1024, claimed_size=100):
    """A DOCX whose main part really expands to ``real_size`` bytes while both its headers claim
    ``claimed_size``: within every limit by the headers, a zip bomb by its content."""
    import struct

    content = docx_bytes()
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["word/document.xml"] = b"\x00" * real_size
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    name = b"word/document.xml"
    local = data.index(name) - 30  # the local header is 30 bytes before its name
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, claimed_size)  # the local header's size
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, claimed_size)  # the central directory's size
    return bytes(data)
