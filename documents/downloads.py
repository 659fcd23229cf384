"""Serving revision files: integrity check, controlled-copy stamp, safe headers."""

import logging

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal import uploads
from qms_portal.digests import sha256_of_file
from qms_portal.errors import refused
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import quality_managers_of

from . import access, workflow
from .models import Revision
from .stamping import RETIRED_NOTICES, stamped_pdf

logger = logging.getLogger(__name__)


def _report_tampering(revision, found):
    """A stored file no longer matches its upload hash: refuse it and tell the quality managers."""
    logger.error(
        "Integrity check failed for %s: stored sha256 %s, file now %s",
        revision,
        revision.sha256,
        found,
    )
    for manager in quality_managers_of(revision.document.agency_id):
        notify(
            recipient=manager,
            key=f"doc-integrity:{revision.pk}:{found}:{manager.pk}",
            subject=lambda: (
                _("Integrity alert: the file of %(revision)s has changed on the server")
                % {"revision": revision}
            ),
            body=lambda: (
                _(
                    "Recorded SHA-256 %(expected)s, file now %(found)s. Downloads are refused until it is restored."
                )
                % {"expected": revision.sha256, "found": found}
            ),
            url=revision.get_absolute_url(),
        )


def _refuse_retired_original(request, revision):
    """A superseded or obsolete revision is never handed out as an unmarked original (ISO 9001
    7.5.3.2): PDFs are served stamped; other formats only to those who may edit the document."""
    message = _(
        "Revision %(label)s of %(number)s is %(status)s and is no longer in force. Its file is "
        "not a PDF, so it cannot be stamped as such; only those who may edit the document "
        "may open the original."
    ) % {
        "label": revision.label,
        "number": revision.document.number,
        "status": revision.get_status_display().lower(),
    }
    return refused(request, message, status=409, back=revision.document.get_absolute_url())


def serve_revision(request, revision):
    try:
        found = sha256_of_file(revision.file)
    except FileNotFoundError:
        found = "missing"
    if found != revision.sha256:
        _report_tampering(revision, found)
        return render(request, "documents/integrity_error.html", {"revision": revision}, status=409)
    document = revision.document
    kind = uploads.KINDS_BY_CODE[revision.file_kind]
    retired = revision.status in (Revision.Status.SUPERSEDED, Revision.Status.OBSOLETE)
    if retired and kind is not uploads.PDF and not access.can_edit(request.user, document):
        return _refuse_retired_original(request, revision)
    workflow.record_opened(revision=revision, person=request.user)
    if (revision.is_effective or retired) and kind is uploads.PDF:
        with revision.file.open("rb") as source:
            content = stamped_pdf(
                source,
                number=document.number,
                label=revision.label,
                status=revision.get_status_display(),
                date=timezone.localdate().isoformat(),
                notice=RETIRED_NOTICES.get(revision.status, ""),
            )
        response = HttpResponse(content, content_type=kind.content_type)
        filename = f"{document.number}-rev{revision.label}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            revision.file.open("rb"),
            as_attachment=True,
            filename=revision.original_filename,
            content_type=kind.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
