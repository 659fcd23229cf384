"""Serving revision files: integrity check, controlled-copy stamp, safe headers.

A DOCX, XLSX or ODT revision reaches readers only as its PDF rendition (stamped like any PDF), and
its original only as a separate download for those who may edit the document."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal import uploads
from qms_portal.digests import sha256_of_file
from qms_portal.errors import refused
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import quality_managers_of

from . import access, renditions, workflow
from .models import Rendition, Revision
from .stamping import RETIRED_NOTICES, StampingRefused, stamped_pdf

logger = logging.getLogger(__name__)


def _report_tampering(revision, expected, found):
    """A stored file (the original or its PDF rendition) no longer matches its recorded hash:
    refuse it and tell the quality managers."""
    logger.error(
        "Integrity check failed for %s: stored sha256 %s, file now %s", revision, expected, found
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
                % {"expected": expected, "found": found}
            ),
            url=revision.get_absolute_url(),
        )


def _is_intact(revision, stored, expected):
    try:
        found = sha256_of_file(stored)
    except (FileNotFoundError, ValueError):  # ValueError: a rendition row without its file
        found = "missing"
    if found != expected:
        _report_tampering(revision, expected, found)
    return found == expected


def _integrity_error(request, revision):
    return render(request, "documents/integrity_error.html", {"revision": revision}, status=409)


def _is_retired(revision):
    return revision.status in (Revision.Status.SUPERSEDED, Revision.Status.OBSOLETE)


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


def _refuse_unstampable(request, revision):
    """The controlled copy could not be stamped within the portal's limits (logged by the
    stamping): never served unstamped, so refused with what to do."""
    message = _(
        "The controlled copy of revision %(label)s of %(number)s could not be stamped within the "
        "portal's time and memory limits, so it is not served. Try again later; if it keeps "
        "failing, ask the document's owner to upload a simpler PDF (for example, printed to PDF "
        "again)."
    ) % {"label": revision.label, "number": revision.document.number}
    return refused(request, message, status=409, back=revision.get_absolute_url())


def _ready_rendition(revision):
    rendition = Rendition.objects.filter(revision=revision).first()
    return rendition if rendition is not None and rendition.is_ready_for(revision) else None


def _rendition_not_ready(request, revision):
    """The controlled PDF copy is not made yet (or could not be made): say so, as a 409."""
    message = _(
        "The controlled PDF copy of revision %(label)s of %(number)s is being prepared. Try again "
        "in a minute; if it still is not ready, ask the document's owner."
    ) % {"label": revision.label, "number": revision.document.number}
    if access.can_open_original(request.user, revision):
        message += " " + _("As an editor of the document you may download the original meanwhile.")
    return refused(request, message, status=409, back=revision.get_absolute_url())


def retired_copies_withheld(person, revision):
    """With ``QMS_RETIRED_REVISION_DOWNLOADS = "editors"`` an agency keeps superseded and obsolete
    revisions from readers altogether (the default, ``"stamped"``, serves them stamped as no
    longer in force); the document's editors still get the stamped copy."""
    return (
        settings.QMS_RETIRED_REVISION_DOWNLOADS == "editors"
        and _is_retired(revision)
        and not access.can_edit(person, revision.document)
    )


def _refuse_withheld_copy(request, revision):
    message = _(
        "Revision %(label)s of %(number)s is %(status)s and no longer in force. This portal gives "
        "old revisions only to those who may edit the document; use the revision in force."
    ) % {
        "label": revision.label,
        "number": revision.document.number,
        "status": revision.get_status_display().lower(),
    }
    return refused(request, message, status=409, back=revision.document.get_absolute_url())


def downloads_offered(person, revision):
    """What the revision page offers the person: ``copy`` (the file readers get: a PDF stamped when
    in force or retired, or a DOCX, XLSX or ODT's PDF rendition), ``preparing`` instead while that
    rendition is not made, and ``original`` (a rendered revision's own file, for its editors)."""
    if not renditions.is_rendered(revision):
        return [] if retired_copies_withheld(person, revision) else ["copy"]
    if retired_copies_withheld(person, revision):
        return []
    offered = ["copy" if _ready_rendition(revision) else "preparing"]
    if access.can_open_original(person, revision):
        offered.append("original")
    return offered


def _pdf_response(request, revision, source):
    """``source`` (a PDF) with the controlled-copy stamp when the revision is in force, and the
    "no longer in force" notice too when it is retired; a working copy as it is."""
    document = revision.document
    if revision.is_effective or _is_retired(revision):
        try:
            with source.open("rb") as handle:
                content = stamped_pdf(
                    handle,
                    number=document.number,
                    label=revision.label,
                    status=revision.get_status_display(),
                    date=timezone.localdate().isoformat(),
                    notice=RETIRED_NOTICES.get(revision.status, ""),
                )
        except StampingRefused:
            return _refuse_unstampable(request, revision)
        response = HttpResponse(content, content_type=uploads.PDF.content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{document.number}-rev{revision.label}.pdf"'
        )
        return response
    return FileResponse(
        source.open("rb"),
        as_attachment=True,
        filename=f"{document.number}-rev{revision.label}.pdf",
        content_type=uploads.PDF.content_type,
    )


def _original_response(revision, kind):
    return FileResponse(
        revision.file.open("rb"),
        as_attachment=True,
        filename=revision.original_filename,
        content_type=kind.content_type,
    )


def _served_file(request, revision, *, original):
    """The response for the revision's download, or a refusal page."""
    kind = uploads.KINDS_BY_CODE[revision.file_kind]
    if not original and retired_copies_withheld(request.user, revision):
        return _refuse_withheld_copy(request, revision)
    if renditions.is_rendered(revision):
        if original:
            if not access.can_open_original(request.user, revision):
                raise PermissionDenied(access.ORIGINAL_REFUSAL)
            return _original_response(revision, kind)
        rendition = _ready_rendition(revision)
        if rendition is None:
            return _rendition_not_ready(request, revision)
        if not _is_intact(revision, rendition.file, rendition.sha256):
            return _integrity_error(request, revision)
        return _pdf_response(request, revision, rendition.file)
    if kind is uploads.PDF:
        if _is_retired(revision) or revision.is_effective:
            return _pdf_response(request, revision, revision.file)
        return _original_response(revision, kind)
    if _is_retired(revision) and not access.can_edit(request.user, revision.document):
        return _refuse_retired_original(request, revision)
    return _original_response(revision, kind)


def serve_revision(request, revision, *, original=False):
    """A revision's file for someone who may read it: the controlled copy, or with ``original``
    a DOCX, XLSX or ODT revision's own file (its editors only). Refused when a stored file no
    longer matches its hash."""
    if not _is_intact(revision, revision.file, revision.sha256):
        return _integrity_error(request, revision)
    response = _served_file(request, revision, original=original)
    if response.status_code != 200:
        return response
    workflow.record_opened(revision=revision, person=request.user)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
