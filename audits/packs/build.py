"""Building a pack's files: gather, collect document files, write the manifest, render the PDF
(which prints the manifest's hash), write the ZIP under a temporary name and rename it; and
:func:`run_build`, the body of the Celery task: claim the build's lease, build while a heartbeat
renews it, record the result or why it failed.

Each build writes its own folder (``evidence-packs/<pack>/build-<n>/``), so the last built ZIP,
which the pack's recorded hashes describe, stays in place and downloadable until a newer build is
recorded; then the older folders go.

The output depends only on the pack's definition and the records: entries in a fixed order, ZIP
timestamps and PDF metadata taken from the definition, never from the clock. A build that fails
or runs out of time leaves no file behind.
"""

import json
import logging
import os
import re
import shutil
import socket
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qms_portal import uploads
from qms_portal.chain_seal import issue_head, manifest_entry, published_form
from qms_portal.digests import sha256_of_bytes, sha256_of_file
from qms_portal.organisation.history import acting_as
from qms_portal.organisation.models import Person
from qms_portal.pdf import PortalOnlyFetcher, render_pdf

from . import content, workflow
from .models import ALL_SECTIONS, EvidencePack, Section

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK = 1024 * 1024


class PackBuildError(Exception):
    """The build cannot finish; the message says why and what to do."""


class PackBuildTimeout(PackBuildError):
    pass


class PackBuildLeaseLost(PackBuildError):
    """The sweep gave this build to another worker (this one looked dead): stop, write nothing."""


@dataclass
class BuiltPack:
    zip_path: str  # relative to MEDIA_ROOT
    zip_sha256: str
    pdf_sha256: str
    manifest_sha256: str
    page_count: int
    file_count: int


def packs_root():
    return Path(settings.MEDIA_ROOT) / "evidence-packs"


def pack_directory(pack):
    return packs_root() / str(pack.pk)


def build_directory(pack):
    """Where build ``pack.build_number`` writes its ZIP."""
    return pack_directory(pack) / f"build-{pack.build_number}"


def remove_builds_except(pack_id, kept):
    """Remove the files of the pack's other builds (earlier, abandoned or lost), keeping ``kept``
    (the recorded ZIP, relative to MEDIA_ROOT) and its folder."""
    directory = packs_root() / str(pack_id)
    kept_path = Path(settings.MEDIA_ROOT) / kept
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry == kept_path or entry == kept_path.parent:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def zip_date_time(pack):
    """ZIP entry timestamps: the moment the pack was defined (never the build time)."""
    local = timezone.localtime(pack.defined_at)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _entry(pack, name):
    info = zipfile.ZipInfo(name, date_time=zip_date_time(pack))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, whatever the building machine
    return info


def archive_name(revision):
    """``documents/PRO-FIN-003_revB.pdf``: number and label, extension of the stored kind."""
    kind = uploads.KINDS_BY_CODE.get(revision.file_kind)
    extension = kind.extensions[0] if kind else "bin"
    stem = SAFE_NAME.sub("_", f"{revision.document.number}_rev{revision.label}")
    return f"documents/{stem}.{extension}"


class Builder:
    """One build of one pack. ``report(stage, progress)`` is called as it goes."""

    def __init__(
        self, pack, *, report=lambda stage, progress: None, seconds=None, lease_held=lambda: True
    ):
        from .models import pack_build_seconds

        self.pack = pack
        self.report = report
        self.lease_held = lease_held
        self.deadline = time.monotonic() + (pack_build_seconds() if seconds is None else seconds)
        self.fetcher = PortalOnlyFetcher()

    def check_time(self):
        if not self.lease_held():
            raise PackBuildLeaseLost(
                _("The build was given to another worker because this one stopped answering.")
            )
        if time.monotonic() > self.deadline:
            raise PackBuildTimeout(
                _(
                    "The build took longer than the time limit. Narrow the scope or the period, "
                    "or ask the administrator to raise QMS_PACK_BUILD_SECONDS, then retry."
                )
            )

    def run(self):
        directory = build_directory(self.pack)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(".*.partial-*"):  # left by a worker killed mid-build
            stale.unlink(missing_ok=True)
        final = directory / self.pack.zip_name
        partial = directory / f".{self.pack.zip_name}.partial-{uuid.uuid4().hex}"
        try:
            result = self._write(partial)
            self.check_time()
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
            if not final.exists():
                shutil.rmtree(directory, ignore_errors=True)  # nothing built: no empty folder
        result.zip_path = str(final.relative_to(Path(settings.MEDIA_ROOT)))
        return result

    def _write(self, partial):
        with translation.override(self.pack.language):
            self.report("gathering", 5)
            data = content.gather(self.pack)
            chain_head = pack_chain_head(self.pack)
            self.check_time()
            revisions = content.files_to_include(data)
            with zipfile.ZipFile(partial, "w") as archive:
                files = self._add_documents(archive, revisions)
                manifest = manifest_bytes(self.pack, files, chain_head)
                manifest_sha256 = sha256_of_bytes(manifest)
                self.report("rendering", 50)
                html = self.html(data, files, manifest_sha256, chain_head)
                self.rendered_html = html  # kept for benchmarks/evidence_pack.py
                pdf, pages = render_pdf(html, identifier=manifest_sha256[:32], fetcher=self.fetcher)
                self.check_time()
                self.report("packing", 90)
                pdf_sha256 = sha256_of_bytes(pdf)
                archive.writestr(_entry(self.pack, MANIFEST), manifest)
                archive.writestr(_entry(self.pack, self.pack.pdf_name), pdf)
                sums = checksums(
                    files
                    + [
                        {"path": MANIFEST, "sha256": manifest_sha256},
                        {"path": self.pack.pdf_name, "sha256": pdf_sha256},
                    ]
                )
                archive.writestr(_entry(self.pack, CHECKSUMS), sums)
        return BuiltPack(
            zip_path="",
            zip_sha256=sha256_of_file(partial),
            pdf_sha256=pdf_sha256,
            manifest_sha256=manifest_sha256,
            page_count=pages,
            file_count=len(files) + 3,
        )

    def _add_documents(self, archive, revisions):
        """Copy each effective revision's file into the ZIP, checking it against its recorded
        SHA-256 first (a file changed on the server stops the build)."""
        self.report("files", 10)
        files = []
        for n, revision in enumerate(revisions, start=1):
            name = archive_name(revision)
            entry = _entry(self.pack, name)
            try:
                matches = sha256_of_file(revision.file) == revision.sha256
                if matches:
                    with (
                        revision.file.open("rb") as source,
                        archive.open(entry, "w") as target,
                    ):
                        shutil.copyfileobj(source, target, CHUNK)
            except FileNotFoundError as error:
                raise PackBuildError(
                    _("The file of %(revision)s is missing on the server; restore it and retry.")
                    % {"revision": revision}
                ) from error
            if not matches:
                raise PackBuildError(
                    _(
                        "The file of %(revision)s no longer matches the SHA-256 recorded at upload; "
                        "restore it from the backup and retry."
                    )
                    % {"revision": revision}
                )
            files.append(
                {
                    "path": name,
                    "sha256": revision.sha256,
                    "size": entry.file_size,
                    "document": revision.document.number,
                    "revision": revision.label,
                    "title": revision.document.title,
                }
            )
            if n % 25 == 0:
                self.check_time()
                self.report("files", 10 + int(40 * n / len(revisions)))
        return files

    def html(self, data, files, manifest_sha256, chain_head):
        pack = self.pack
        chosen = [Section(code) for code in ALL_SECTIONS if code in pack.sections]
        toc = [("section-matrix", _("Clause-to-evidence matrix"))]
        toc += [(f"section-{s.value}", s.label) for s in chosen]
        toc += [("section-manifest", _("Files in this pack"))]
        return render_to_string(
            "packs/pdf/evidence_pack.html",
            {
                "pack": pack,
                "data": data,
                "sections": [s.value for s in chosen],
                "toc": toc,
                "files": files,
                "manifest_sha256": manifest_sha256,
                "manifest_name": MANIFEST,
                "chain_head": published_form(chain_head),
                "checksums_name": CHECKSUMS,
                "clauses": list(pack.clauses.order_by("sort_key")),
                "gaps": [row for row in data["matrix"] if row.is_gap],
                "created": timezone.localtime(pack.defined_at).isoformat(timespec="seconds"),
            },
        )


def pack_chain_head(pack):
    """The sealed audit-trail head this pack publishes (``qms_portal.chain_seal``): issued at its
    first build and printed again by every rebuild, so building twice gives the same bytes."""
    return issue_head(f"evidence pack {pack.reference}", key=f"pack:{pack.pk}")


def manifest_bytes(pack, files, chain_head):
    """The manifest: every file of the ZIP except itself, the report (which prints this file's
    hash) and SHA256SUMS (which lists both), and the sealed audit-trail head with its statement.
    Stable bytes: sorted keys, fixed order."""
    manifest = {
        "chain_head": manifest_entry(chain_head),
        "pack": pack.reference,
        "title": pack.title,
        "agency": pack.agency.name,
        "period": {"from": pack.period_start.isoformat(), "to": pack.period_end.isoformat()},
        "defined_at": timezone.localtime(pack.defined_at).isoformat(timespec="seconds"),
        "algorithm": "sha256",
        "files": sorted(files, key=lambda f: f["path"]),
        "report": {
            "path": pack.pdf_name,
            "note": "The report prints the SHA-256 of this manifest; the report's own SHA-256 "
            f"is listed in {CHECKSUMS} together with this manifest's.",
        },
        "checksums": CHECKSUMS,
    }
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def checksums(entries):
    """``sha256sum -c`` format, sorted by path."""
    lines = [f"{e['sha256']}  {e['path']}\n" for e in sorted(entries, key=lambda e: e["path"])]
    return "".join(lines).encode()


class Heartbeat(threading.Thread):
    """Renews the build's lease every ``QMS_PACK_HEARTBEAT_SECONDS`` from its own thread (and
    database connection), so a long step (a large PDF, a slow disk) never looks like a dead
    worker; ``lost`` once the lease is another worker's."""

    def __init__(self, pack_id, build_number, worker, interval):
        super().__init__(name=f"pack-{pack_id}-heartbeat", daemon=True)
        self.lease = (pack_id, build_number, worker)
        self.interval = interval
        self.lost = False
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(self.interval) and not self.lost:
                try:
                    self.lost = not workflow.heartbeat(*self.lease)
                except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again
                    logger.warning(
                        "evidence pack lease %s: heartbeat failed", self.lease[:2], exc_info=True
                    )
                    # A connection the database dropped (restart, failover, idle kill) stays
                    # broken: close this thread's own connection so the next beat reconnects.
                    connection.close()
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=self.interval + 5)


def worker_name():
    """``host:pid`` of this process, as the lease names the worker holding a build."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _heartbeat_thread(pack_id, build_number, worker):
    """A heartbeat thread for a worker's build; none in-process inside a transaction (embedded
    mode, tests), where another connection could not see the claim and nothing else builds."""
    from .models import pack_heartbeat_seconds

    interval = pack_heartbeat_seconds()
    if interval <= 0 or connection.in_atomic_block:
        return None
    beat = Heartbeat(pack_id, build_number, worker, interval)
    beat.start()
    return beat


def run_build(pack_id, build_number, actor_id=None):
    """Build ``pack_id`` for build ``build_number``; returns what happened, for the task log."""
    actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
    worker = worker_name()
    if not workflow.claim_build(pack_id, build_number, worker):
        return {"pack": pack_id, "build": build_number, "result": "not claimed"}
    pack = EvidencePack.objects.select_related("agency", "defined_by").get(pk=pack_id)
    beat = _heartbeat_thread(pack_id, build_number, worker)
    held = {"lease": True}

    def report(stage, progress):
        held["lease"] = workflow.report_progress(pack_id, build_number, stage, progress, worker)

    def lease_held():
        return held["lease"] and not (beat and beat.lost)

    try:
        return _build_and_record(pack, build_number, actor, report, lease_held)
    finally:
        if beat is not None:
            beat.stop()


def _build_and_record(pack, build_number, actor, report, lease_held):
    pack_id = pack.pk
    with acting_as(actor):
        try:
            result = Builder(pack, report=report, lease_held=lease_held).run()
            recorded = workflow.build_finished(
                pack_id=pack_id, build_number=build_number, result=result, actor=actor
            )
        except SoftTimeLimitExceeded:
            error = _("The build took longer than the time limit and was stopped; retry it.")
        except PackBuildError as problem:
            error = str(problem)
        except Exception as problem:  # noqa: BLE001 - any failure must reach the page, not hang
            logger.exception("evidence pack %s build %s failed", pack_id, build_number)
            error = _(
                "The build failed unexpectedly (%(error)s). Retry it; if it fails again, "
                "tell the administrator."
            ) % {"error": f"{type(problem).__name__}: {problem}"}
        else:
            if recorded is None:  # the sweep gave up on it or a newer build replaced it
                shutil.rmtree(build_directory(pack), ignore_errors=True)  # no orphaned folder
                return {"pack": pack_id, "build": build_number, "result": "superseded"}
            return {"pack": pack_id, "build": build_number, "result": "ready"}
        workflow.build_failed(pack_id=pack_id, build_number=build_number, error=error, actor=actor)
        return {"pack": pack_id, "build": build_number, "result": "failed", "error": error}
