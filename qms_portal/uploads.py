"""Upload hardening shared by every app that accepts files (documents, audit evidence, photos).

A file is accepted by what its bytes are, never by its name: the type is detected from the content,
a name whose extension claims another type is refused as disguised, zip containers (DOCX, XLSX, ODT)
are checked for entry count, total uncompressed size and compression ratio — the sizes found by
decompressing each entry, not the ones its headers claim — and the stored name is generated: a
person's file name is kept only as display text.

What could cost more than its size runs in a bounded child process (``qms_portal.bounded``): a PDF
is parsed and refused when it is not a readable PDF or carries JavaScript, automatic or launch
actions or embedded files; an image is refused above ``QMS_IMAGE_MAX_PIXELS`` (read from its
header, before decoding) and otherwise decoded and re-encoded, turned upright by its EXIF
orientation and stripped of EXIF (GPS position, camera, author), XMP and text chunks. The cleaned
image is what is stored, and its size and SHA-256 are the ones recorded.
"""

import copy
import io
import logging
import re
import unicodedata
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _

from . import bounded
from .digests import sha256_of_file

logger = logging.getLogger(__name__)


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
# Zip entries are decompressed in chunks of this size while their real size is counted.
ZIP_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    """What to store and record for an accepted upload; ``content`` is the file to store (the
    upload itself, or the cleaned image), and ``size`` and ``sha256`` are those of ``content``."""

    kind: FileKind
    size: int
    sha256: str
    display_name: str
    storage_name: str
    content: File


def max_upload_bytes():
    return getattr(settings, "QMS_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)


def safe_display_name(name):
    """A file name fit for display and Content-Disposition: no path, no control characters."""
    name = PurePath(str(name).replace("\\", "/")).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[\"<>|:*?/]", "_", name).strip(" .")
    return name[:150] or "file"


def _bomb_refusal():
    return ValidationError(
        _("The file expands to far more than its size (a compressed bomb?); it was refused.")
    )


def _damaged_zip_refusal():
    return ValidationError(_("The file is damaged: it is not a readable office document."))


def _check_real_sizes(archive, entries, compressed_size):
    """Decompress every entry, counting the bytes it really gives (its header's size is only a
    claim: a reader that trusts a lying header can be made to expand far past it), and refuse the
    container past the total or ratio limit, or when an entry is not the size it declares."""
    budget = min(ZIP_MAX_TOTAL_UNCOMPRESSED, ZIP_MAX_RATIO * max(compressed_size, 1))
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        probe = copy.copy(entry)
        # Read to the stream's real end, or past the budget (by a chunk, so the budget is hit
        # before zipfile stops at the size it was given).
        probe.file_size = budget - total + ZIP_READ_CHUNK + 1
        found = 0
        with archive.open(probe) as handle:
            while chunk := handle.read(ZIP_READ_CHUNK):
                found += len(chunk)
                if total + found > budget:
                    raise _bomb_refusal()
        if found != entry.file_size:
            raise _damaged_zip_refusal()
        total += found


def _check_zip(uploaded):
    """Refuse zip bombs: first by what the headers claim, then by what the entries really hold."""
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
                raise _bomb_refusal()
            _check_real_sizes(archive, entries, uploaded.size)
            names = {entry.filename for entry in entries}
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as handle:
                    mimetype = handle.read(200)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError, OSError) as error:
        # a bad CRC, an unknown compression method, an encrypted or truncated entry
        raise _damaged_zip_refusal() from error
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


#: PDF names that make a file do something when opened or hold another file inside: scripts,
#: automatic actions, launching programs, importing data, embedded files.
#: (An /OpenAction is not active in itself: most open a page; the action it names is checked as
#: an object of its own, or inside it.)
PDF_ACTIVE_NAMES = frozenset({"/JS", "/JavaScript", "/AA", "/EmbeddedFile", "/EmbeddedFiles"})
PDF_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}
)


def _pdf_objects(reader):
    """Every object of the PDF: the trailer and each one its cross-reference tables list,
    object streams included (a script can hide in a compressed object stream)."""
    from pypdf.generic import IndirectObject

    yield reader.trailer
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        yield reader.get_object(IndirectObject(number, 0, reader))


def _is_active(value, depth=0):
    """Whether a PDF object (with the dictionaries and arrays written inside it, not those it
    refers to: each of those is visited as an object of its own) makes the file active."""
    from pypdf.generic import ArrayObject, DictionaryObject

    if depth > 50:
        return True  # nesting no real file needs
    if isinstance(value, DictionaryObject):
        if PDF_ACTIVE_NAMES.intersection(value.keys()):
            return True
        if value.get("/S") in PDF_ACTIVE_ACTIONS or value.get("/Type") == "/EmbeddedFile":
            return True
        return any(_is_active(item, depth + 1) for item in value.values())
    if isinstance(value, ArrayObject):
        return any(_is_active(item, depth + 1) for item in value)
    return False


def _inspect_pdf(data):
    """The verdict on a PDF's bytes: "ok", "damaged" or "active" (runs in the bounded child)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return "damaged"
        if not len(reader.pages):
            return "damaged"
        return "active" if any(_is_active(obj) for obj in _pdf_objects(reader)) else "ok"
    except Exception:  # pypdf's own errors and whatever a malformed file provokes in it
        return "damaged"


def _cleaned_image(data, format_name, max_pixels):
    """``data`` re-encoded without metadata and turned upright, or a refusal code (runs in the
    bounded child). The pixel count is checked from the header, before anything is decoded."""
    from PIL import Image, ImageOps

    # Pillow's own bomb guard would refuse a huge header before its size could be told; the check
    # below is the guard, at the portal's limit, and says the size (this child is thrown away).
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(io.BytesIO(data), formats=[format_name]) as image:
            width, height = image.size
            if width * height > max_pixels:
                return ("too-large", width, height)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Exception:  # truncated, corrupt or not decodable
        return ("damaged", 0, 0)
    keep = {"icc_profile": upright.info.get("icc_profile")}
    if format_name == "PNG" and "transparency" in upright.info:
        keep["transparency"] = upright.info["transparency"]
    upright.info = {}  # EXIF, XMP, text chunks, comments: none is written again
    output = io.BytesIO()
    if format_name == "JPEG":
        upright.save(output, "JPEG", quality=90, **{k: v for k, v in keep.items() if v is not None})
    else:
        upright.save(
            output, "PNG", optimize=False, **{k: v for k, v in keep.items() if v is not None}
        )
    return ("ok", output.getvalue())


def _inspection_bounds():
    return {
        "timeout": settings.QMS_UPLOAD_INSPECTION_TIMEOUT_SECONDS,
        "memory_bytes": settings.QMS_UPLOAD_INSPECTION_MEMORY_MB * 2**20,
    }


def _too_costly_refusal(error):
    logger.warning("Upload refused, inspection stopped: %s", error)
    return ValidationError(
        _("The file could not be checked within the portal's limits; it was refused.")
    )


def _check_pdf(data):
    try:
        verdict = bounded.run_bounded(_inspect_pdf, data, label="PDF check", **_inspection_bounds())
    except (bounded.BoundExceeded, bounded.BoundedWorkFailed) as error:
        raise _too_costly_refusal(error) from error
    if verdict == "damaged":
        raise ValidationError(_("The file is damaged: it is not a readable PDF."))
    if verdict == "active":
        raise ValidationError(
            _(
                "The PDF contains scripts, automatic actions or embedded files, which the portal "
                "does not accept. Print it to a new PDF (or save it without them) and upload that."
            )
        )


def clean_image(data, kind):
    """The image in ``data`` re-encoded without EXIF, GPS, XMP or text chunks, upright; raises
    ValidationError for an image over ``QMS_IMAGE_MAX_PIXELS`` or one that cannot be decoded."""
    limit = settings.QMS_IMAGE_MAX_PIXELS
    try:
        outcome = bounded.run_bounded(
            _cleaned_image,
            data,
            "PNG" if kind is PNG else "JPEG",
            limit,
            label="image re-encoding",
            **_inspection_bounds(),
        )
    except (bounded.BoundExceeded, bounded.BoundedWorkFailed) as error:
        raise _too_costly_refusal(error) from error
    if outcome[0] == "too-large":
        raise ValidationError(
            _(
                "The image is %(width)d × %(height)d pixels; at most %(limit)d megapixels are "
                "accepted. Upload a smaller image."
            )
            % {"width": outcome[1], "height": outcome[2], "limit": limit // 1_000_000}
        )
    if outcome[0] == "damaged":
        raise ValidationError(_("The file is damaged: it is not a readable image."))
    return outcome[1]


#: Image ``info`` keys that carry metadata rather than pixels.
IMAGE_METADATA_KEYS = frozenset({"exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"})


def _carries_metadata(data, kind):
    """Whether a stored image still holds EXIF, XMP, comments or text chunks (read from its
    header alone, nothing decoded)."""
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=["PNG" if kind is PNG else "JPEG"]) as image:
        if kind is PNG and set(getattr(image, "text", {}) or {}):
            return True
        return bool(IMAGE_METADATA_KEYS.intersection(image.info)) or bool(image.getexif())


def image_for_serving(data, kind):
    """The bytes to serve of a stored image: as they are when they carry no metadata (every photo
    stored since uploads were re-encoded), else cleaned on the way out (one stored earlier)."""
    try:
        if not _carries_metadata(data, kind):
            return data
    except Exception:  # an unreadable header: the cleaning refuses it with a message
        pass
    return clean_image(data, kind)


def _content_to_store(uploaded, kind):
    """The file to store for an accepted upload: the cleaned image, or the upload as it is."""
    if kind in IMAGE_KINDS:
        uploaded.seek(0)
        return ContentFile(clean_image(uploaded.read(), kind), name=uploaded.name)
    if kind is PDF:
        uploaded.seek(0)
        _check_pdf(uploaded.read())
    uploaded.seek(0)
    return uploaded


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
    content = _content_to_store(uploaded, kind)
    digest = sha256_of_file(content)  # streamed, and rewound for storing
    storage_name = f"{folder}/{uuid.uuid4().hex}.{kind.extensions[0]}"
    return CheckedUpload(kind, content.size, digest, display_name, storage_name, content)


def _strip_markup(xml_bytes):
    text = re.sub(rb"<[^>]{0,2000}>", b" ", xml_bytes).decode("utf-8", "ignore")
    import html

    return re.sub(r"\s+", " ", html.unescape(text)).strip()


TEXT_PARTS = {
    "docx": ["word/document.xml"],
    "xlsx": ["xl/sharedStrings.xml"],
    "odt": ["content.xml"],
}


def _text_of(data, kind_code):
    """The text of a PDF, DOCX, XLSX or ODT's bytes (runs in the bounded child)."""
    if kind_code == "pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return " ".join((page.extract_text() or "") for page in reader.pages[:500])[:1_000_000]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        chunks = []
        for name in TEXT_PARTS[kind_code]:
            if name in archive.namelist():
                with archive.open(name) as entry:
                    chunks.append(_strip_markup(entry.read(TEXT_READ_LIMIT)))
        return " ".join(chunks)[:1_000_000]


def extract_text(field_file, kind_code):
    """Plain text of a stored PDF, DOCX, XLSX or ODT for search; '' for images or unreadable files,
    and for a file whose extraction passes ``QMS_TEXT_EXTRACTION_TIMEOUT_SECONDS`` or
    ``QMS_TEXT_EXTRACTION_MEMORY_MB`` (a file we cannot read is still a valid upload; it is just
    not searchable)."""
    if kind_code != "pdf" and kind_code not in TEXT_PARTS:
        return ""
    try:
        with field_file.open("rb") as handle:
            data = handle.read()
        return bounded.run_bounded(
            _text_of,
            data,
            kind_code,
            timeout=settings.QMS_TEXT_EXTRACTION_TIMEOUT_SECONDS,
            memory_bytes=settings.QMS_TEXT_EXTRACTION_MEMORY_MB * 2**20,
            label=f"Text extraction of {field_file.name}",
        )
    except (bounded.BoundExceeded, bounded.BoundedWorkFailed, OSError, ValueError) as error:
        logger.warning("No search text for %s: %s", field_file.name, error)
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
