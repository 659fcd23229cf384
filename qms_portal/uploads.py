"""Upload hardening shared by every app that accepts files (documents, audit evidence, photos).

A file is accepted by what its bytes are, never by its name: the type is detected from the content,
a name whose extension claims another type is refused as disguised, zip containers (DOCX, XLSX, ODT)
are checked for entry count, total uncompressed size and compression ratio before anything reads
them, and the stored name is generated — a person's file name is kept only as display text.
"""

import re
import unicodedata
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .digests import sha256_of_file


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extensions: tuple


PDF = FileKind("pdf", "PDF", "application/pdf", ("pdf",))
DOCX = FileKind(
    "docx",
    "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = FileKind(
    "xlsx",
    "Excel (XLSX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
ODT = FileKind(
    "odt", "OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", ("odt",)
)
PNG = FileKind("png", "PNG image", "image/png", ("png",))
JPEG = FileKind("jpeg", "JPEG image", "image/jpeg", ("jpg", "jpeg"))

DOCUMENT_KINDS = (PDF, DOCX, XLSX, ODT, PNG, JPEG)
IMAGE_KINDS = (PNG, JPEG)
KINDS_BY_CODE = {kind.code: kind for kind in DOCUMENT_KINDS}

# Zip container limits: generous for real office files, fatal for zip bombs.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
# Text extraction never reads more than this from one entry.
TEXT_READ_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    size: int
    sha256: str
    display_name: str
    storage_name: str


def max_upload_bytes():
    return getattr(settings, "QMS_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)


def safe_display_name(name):
    """A file name fit for display and Content-Disposition: no path, no control characters."""
    name = PurePath(str(name).replace("\\", "/")).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[\"<>|:*?/]", "_", name).strip(" .")
    return name[:150] or "file"


def _check_zip(uploaded):
    """Refuse zip bombs before any entry is read."""
    try:
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise ValidationError(
                    _("The file holds %(count)d parts; at most %(limit)d are accepted.")
                    % {"count": len(entries), "limit": ZIP_MAX_ENTRIES}
                )
            total = sum(entry.file_size for entry in entries)
            compressed = sum(entry.compress_size for entry in entries) or 1
            if total > ZIP_MAX_TOTAL_UNCOMPRESSED or total / compressed > ZIP_MAX_RATIO:
                raise ValidationError(
                    _(
                        "The file expands to far more than its size (a compressed bomb?); it was refused."
                    )
                )
            names = {entry.filename for entry in entries}
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as handle:
                    mimetype = handle.read(200)
    except zipfile.BadZipFile as error:
        raise ValidationError(
            _("The file is damaged: it is not a readable office document.")
        ) from error
    finally:
        uploaded.seek(0)
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    if mimetype.strip() == ODT.content_type.encode():
        return ODT
    return None


def detect_kind(uploaded):
    """The file's real type from its first bytes (and, for zip containers, their entries)."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _check_zip(uploaded)
    return None


def check_upload(uploaded, *, allowed=DOCUMENT_KINDS, folder="uploads"):
    """Validate an uploaded file; return what is needed to store it, or raise ValidationError."""
    if uploaded is None:
        raise ValidationError(_("Choose a file to upload."))
    size = uploaded.size
    if not size:
        raise ValidationError(_("The file is empty."))
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": round(limit / 1048576, 1)}
        )
    allowed_labels = ", ".join(kind.label for kind in allowed)
    kind = detect_kind(uploaded)
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("This type of file is not accepted. Upload one of: %(kinds)s.")
            % {"kinds": allowed_labels}
        )
    display_name = safe_display_name(uploaded.name)
    extension = PurePath(display_name).suffix.lower().lstrip(".")
    if extension not in kind.extensions:
        raise ValidationError(
            _(
                "The file is named “%(name)s” but its content is %(kind)s. Rename it or upload the right file."
            )
            % {"name": display_name, "kind": kind.label}
        )
    digest = sha256_of_file(uploaded)  # streamed, and rewound for storing
    storage_name = f"{folder}/{uuid.uuid4().hex}.{kind.extensions[0]}"
    return CheckedUpload(kind, size, digest, display_name, storage_name)


def _strip_markup(xml_bytes):
    text = re.sub(rb"<[^>]{0,2000}>", b" ", xml_bytes).decode("utf-8", "ignore")
    import html

    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def extract_text(field_file, kind_code):
    """Plain text of a stored PDF, DOCX, XLSX or ODT for search; '' for images or unreadable files."""
    parts = {
        "docx": ["word/document.xml"],
        "xlsx": ["xl/sharedStrings.xml"],
        "odt": ["content.xml"],
    }
    try:
        with field_file.open("rb") as handle:
            if kind_code == "pdf":
                from pypdf import PdfReader

                reader = PdfReader(handle)
                return " ".join((page.extract_text() or "") for page in reader.pages[:500])[
                    :1_000_000
                ]
            if kind_code in parts:
                with zipfile.ZipFile(handle) as archive:
                    chunks = []
                    for name in parts[kind_code]:
                        if name in archive.namelist():
                            with archive.open(name) as entry:
                                chunks.append(_strip_markup(entry.read(TEXT_READ_LIMIT)))
                    return " ".join(chunks)[:1_000_000]
    except Exception:  # a file we cannot read is still a valid upload; it is just not searchable
        return ""
    return ""


@contextmanager
def removing_on_failure(*checked):
    """Delete the stored uploads if the change they belong to fails: no orphan file, no half-saved
    record. Takes ``CheckedUpload`` objects (``None`` is skipped)."""
    try:
        yield
    except BaseException:
        from django.core.files.storage import default_storage

        for upload in checked:
            if upload is not None and default_storage.exists(upload.storage_name):
                default_storage.delete(upload.storage_name)
        raise
