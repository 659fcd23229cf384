"""PDF renditions of DOCX, XLSX and ODT revisions, made by LibreOffice in headless mode.

A word-processor or spreadsheet file cannot carry the controlled-copy stamp (ISO 9001 7.5.3.2), so
readers get a PDF made from it, stamped like any PDF; the original stays with the document's
editors. The conversion runs on the worker (queued through the outbox when the file is uploaded),
each run with its own throw-away LibreOffice profile so parallel conversions never share one, and
with a time limit. A failed conversion is recorded with its error and never fails the upload; the
task can be run again, and does nothing once the rendition of the current file is made.
"""

import logging
import subprocess
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from qms_portal import uploads
from qms_portal.digests import sha256_of_bytes
from qms_portal.statemachine import save_with_history

from .models import Rendition, Revision

logger = logging.getLogger(__name__)

#: The file kinds readers get as a PDF rendition, never as the original.
RENDERED_KINDS = (uploads.DOCX, uploads.XLSX, uploads.ODT)
RENDERED_CODES = frozenset(kind.code for kind in RENDERED_KINDS)


class ConversionFailed(Exception):
    """LibreOffice did not make a PDF; the message says why (kept on the rendition)."""


def soffice_binary():
    """The LibreOffice program (Debian's ``libreoffice-*-nogui`` install ``/usr/bin/soffice``)."""
    return getattr(settings, "QMS_SOFFICE", "soffice")


def conversion_timeout():
    return getattr(settings, "QMS_RENDITION_TIMEOUT_SECONDS", 120)


def is_rendered(revision):
    return revision.file_kind in RENDERED_CODES


def convert_to_pdf(source_bytes, extension):
    """PDF bytes of an office file, by ``soffice --headless --convert-to pdf`` in a fresh
    directory holding the input, the output and the run's own user profile."""
    with tempfile.TemporaryDirectory(prefix="qms-rendition-") as work:
        work = Path(work)
        source = work / f"source.{extension}"
        source.write_bytes(source_bytes)
        command = [
            soffice_binary(),
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            run = subprocess.run(
                command,
                capture_output=True,
                timeout=conversion_timeout(),
                env={"HOME": str(work), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                check=False,
            )
        except FileNotFoundError as error:
            raise ConversionFailed(f"LibreOffice is not installed ({command[0]}).") from error
        except subprocess.TimeoutExpired as error:
            raise ConversionFailed(
                f"LibreOffice took longer than {conversion_timeout()} s; stopped."
            ) from error
        output = work / "out" / "source.pdf"
        pdf = output.read_bytes() if output.exists() else b""
        if not pdf.startswith(b"%PDF-"):
            said = (run.stderr or run.stdout or b"").decode("utf-8", "replace").strip()
            raise ConversionFailed(
                f"LibreOffice made no PDF (exit {run.returncode}): {said[-500:] or 'no message'}"
            )
        return pdf


def request(revision):
    """Note that the revision's file needs a rendition and queue its conversion (inside the
    upload's transaction: the task is published once the upload commits)."""
    from qms_portal import outbox

    if not is_rendered(revision):
        return None
    rendition, _created = Rendition.objects.get_or_create(revision=revision)
    if not rendition.is_ready_for(revision) and rendition.status != Rendition.Status.PENDING:
        rendition.status = Rendition.Status.PENDING
        save_with_history(
            rendition,
            actor=None,
            reason=gettext_noop("conversion queued"),
            update_fields=["status"],
        )
    outbox.enqueue("documents.tasks.render_revision_pdf", revision.pk)
    return rendition


request.alters_data = True


def request_missing():
    """Queue again every rendered revision whose rendition of its current file is not made (a
    failed conversion, LibreOffice installed later); the task skips those made meanwhile."""
    count = 0
    for revision in Revision.objects.filter(file_kind__in=RENDERED_CODES).select_related(
        "rendition"
    ):
        rendition = getattr(revision, "rendition", None)
        if rendition is None or not rendition.is_ready_for(revision):
            request(revision)
            count += 1
    return count


request_missing.alters_data = True


def render(revision_id):
    """Make the rendition of the revision's current file; True when one was made now. Safe to run
    twice: a rendition already made from this file is kept as it is."""
    revision = Revision.objects.select_related("document__agency").filter(pk=revision_id).first()
    if revision is None or not is_rendered(revision):
        return False
    existing = Rendition.objects.filter(revision=revision).first()
    if existing is not None and existing.is_ready_for(revision):
        return False
    with revision.file.open("rb") as handle:
        source = handle.read()
    if sha256_of_bytes(source) != revision.sha256:  # never a controlled copy of a changed file
        return _store(revision, None, "The stored original no longer matches its SHA-256.")
    try:
        pdf, error = (
            convert_to_pdf(source, uploads.KINDS_BY_CODE[revision.file_kind].extensions[0]),
            "",
        )
    except ConversionFailed as failure:
        pdf, error = None, str(failure)
        logger.warning("PDF rendition of %s failed: %s", revision, error)
    return _store(revision, pdf, error)


def _store(revision, pdf, error):
    """Record the conversion's outcome on the (locked) rendition; a file made meanwhile from the
    same original by another run wins."""
    with transaction.atomic():
        rendition, _created = Rendition.objects.select_for_update(of=("self",)).get_or_create(
            revision=revision
        )
        if rendition.is_ready_for(revision):
            return False
        rendition.attempts += 1
        rendition.source_sha256 = revision.sha256
        if pdf is None:
            rendition.status, rendition.error = Rendition.Status.FAILED, error
            save_with_history(rendition, actor=None, reason=gettext_noop("conversion failed"))
            return False
        rendition.storage_name = (
            f"documents/{revision.document.agency.code}/renditions/{uuid.uuid4().hex}.pdf"
        )
        rendition.file.save(rendition.storage_name, ContentFile(pdf), save=False)
        rendition.file_size, rendition.sha256 = len(pdf), sha256_of_bytes(pdf)
        rendition.status, rendition.error = Rendition.Status.READY, ""
        rendition.converted_at = timezone.now()
        save_with_history(rendition, actor=None, reason=gettext_noop("PDF rendition made"))
    return True


render.alters_data = True
