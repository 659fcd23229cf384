"""Every change to an evidence pack.

Build::

    queued ──claimed by the task──► building ──► ready
       ▲                               └──────► failed ──retry──┘   (ready ──rebuild──► queued)
       └──── requeue (the sweep: its worker died) ──┘

A build holds a lease (``PackBuildLease``): the worker that claims it renews ``heartbeat_at``
while it builds; the beat sweep :func:`recover_stale_builds` queues a build whose heartbeat stopped
again under a new build number, or marks it failed once ``QMS_PACK_BUILD_ATTEMPTS`` are used. The
last built ZIP stays the pack's (downloadable, labelled as the previous build) until a newer
build finishes.

Sharing: the quality manager shares a ready pack with a certifier until a date (guardian
``view_evidencepack`` on the pack, ``view_document`` on its documents); revoking, or the expiry
sweep, takes both back. Each function checks who may act, locks the row, records history with a
reason and queues follow-up work on commit (through the outbox).
"""

from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from documents import workflow as document_workflow
from documents.models import Document, DocumentUserObjectPermission, lapsed_share_documents
from qms_portal import outbox, sequences
from qms_portal.digests import sha256_of_file
from qms_portal.errors import RuleError
from qms_portal.organisation.models import Person
from qms_portal.organisation.notifications import notify
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access
from .access import can_manage, require_pack_manager  # noqa: F401 (views and tests call them)
from .models import (
    ALL_SECTIONS,
    DEFAULT_CLAUSES,
    EvidencePack,
    PackBuildLease,
    PackDownload,
    PackShare,
    pack_build_attempts,
    pack_lease_stale_seconds,
)

BUILD_TASK = "audits.packs.tasks.build_evidence_pack"
ST = EvidencePack.Status
SHARE = PackShare.State


class PackRuleError(RuleError):
    """A change to an evidence pack that breaks a rule; the message says what to do instead."""


#: The pack's build. ``claim`` is the worker's conditional update (history-exempt), ``finish``
#: and ``fail`` the task's; a person retries a failure, rebuilds a ready pack, or restarts a
#: build whose worker died (``restart``, offered only when the build is stalled).
MACHINE = StateMachine(
    Transition(
        "claim", sources=[ST.QUEUED], target=ST.BUILDING, label=pgettext_lazy("step", "claimed")
    ),
    Transition(
        "finish", sources=[ST.BUILDING], target=ST.READY, label=pgettext_lazy("step", "finished")
    ),
    Transition(
        "fail", sources=[ST.BUILDING], target=ST.FAILED, label=pgettext_lazy("step", "failed")
    ),
    Transition(
        "retry",
        sources=[ST.FAILED],
        target=ST.QUEUED,
        label=pgettext_lazy("step", "built again"),
        allowed=access.can_manage,
    ),
    Transition(
        "rebuild",
        sources=[ST.READY],
        target=ST.QUEUED,
        label=pgettext_lazy("step", "built again"),
        allowed=access.can_manage,
    ),
    Transition(
        "restart",
        sources=[ST.BUILDING],
        target=ST.QUEUED,
        label=pgettext_lazy("step", "built again"),
        allowed=access.can_manage,
    ),
    Transition(
        "requeue",
        sources=[ST.BUILDING],
        target=ST.QUEUED,
        label=pgettext_lazy("step", "queued again"),
    ),
    Transition(
        "share",
        sources=[ST.READY],
        target=None,
        label=pgettext_lazy("step", "shared"),
        allowed=access.can_manage,
    ),
    # Any state: the last built ZIP stays downloadable while a newer build runs or after it failed
    # (``can_download`` asks for a built ZIP; who sees the pack at all is ``get_pack_for``'s).
    Transition(
        "download",
        sources=[ST.QUEUED, ST.BUILDING, ST.READY, ST.FAILED],
        target=None,
        label=pgettext_lazy("step", "downloaded"),
        allowed=access.can_download,
    ),
    model=EvidencePack,
    tones={ST.QUEUED: Tone.INFO, ST.BUILDING: Tone.INFO, ST.READY: Tone.OK, ST.FAILED: Tone.BAD},
    describe=lambda pack: pack.reference,
    error=PackRuleError,
)

#: A share's life: in force until it expires (the sweep takes the permissions back) or is
#: withdrawn. The state is derived from the dates, so neither step sets a field of its own.
SHARE_MACHINE = StateMachine(
    Transition(
        "revoke",
        sources=[SHARE.IN_FORCE],
        target=None,
        label=pgettext_lazy("step", "withdrawn"),
        allowed=access.can_manage_share,
    ),
    Transition(
        "expire", sources=[SHARE.EXPIRED], target=None, label=pgettext_lazy("step", "expired")
    ),
    model=PackShare,
    field="state",
    tones={SHARE.IN_FORCE: Tone.OK, SHARE.EXPIRED: Tone.WARN, SHARE.WITHDRAWN: Tone.BAD},
    describe=str,
    error=PackRuleError,
)

#: Steps a person takes on the pack page (the others are the worker's).
PAGE_STEPS = ("retry", "rebuild", "restart", "share", "download")

# History reasons: stable codes, stored as written (the pack's history is read by tests and
# the audit trail, never translated at write time).
DEFINED, FIRST_BUILD, RETRIED, REBUILT = (
    "defined",
    "first build queued",
    "retry after failure",
    "rebuild",
)
SHARED, REVOKED, EXPIRED = "shared", "revoked", "expired"


def _rebuild_step(pack):
    if pack.status == ST.BUILDING:
        return "restart"
    return "retry" if pack.status == ST.FAILED else "rebuild"


def available_steps(pack, person):
    """The steps ``person`` may take on the pack page now: build steps, share, download, and
    ``revoke`` when a share in force can be withdrawn."""
    steps = [
        name
        for name in MACHINE.available(pack, person)
        if name in PAGE_STEPS and (name != "restart" or is_stalled(pack))
    ]
    if access.can_manage(person, pack) and any(
        SHARE_MACHINE.may(person, share, "revoke") for share in _shares_of(pack)
    ):
        steps.append("revoke")
    return steps


def _shares_of(pack):
    shares = pack.shares.all()
    for share in shares:
        share.pack = pack
    return shares


# --- Definition and build ------------------------------------------------------------------


@transaction.atomic
def pack_define(
    *,
    actor,
    agency,
    title,
    period_start,
    period_end,
    departments=(),
    clauses=None,
    sections=None,
    language="en",
):
    """Record a pack definition and queue its first build."""
    from processes.models import Clause

    require_pack_manager(actor, agency.pk)
    if period_end < period_start:
        raise PackRuleError(_("The period ends before it starts; put the dates in order."))
    for department in departments:
        if department.agency_id != agency.pk:
            raise PackRuleError(_("Choose departments of your own agency."))
    sections = [s for s in ALL_SECTIONS if s in (sections or ALL_SECTIONS)]
    if not sections:
        raise PackRuleError(_("Choose at least one section."))
    clauses = list(clauses) if clauses else list(Clause.objects.filter(number__in=DEFAULT_CLAUSES))
    pack = EvidencePack(
        agency=agency,
        reference=sequences.next_reference(EvidencePack, agency, "EP", period_end.year),
        title=title,
        period_start=period_start,
        period_end=period_end,
        sections=sections,
        language=language,
        defined_by=actor,
        defined_at=timezone.now().replace(microsecond=0),
    )
    save_with_history(pack, actor=actor, reason=DEFINED)
    pack.departments.set(departments)
    pack.clauses.set(clauses)
    _queue_build(pack, actor=actor, reason=FIRST_BUILD)
    return pack


def _queue_build(pack, *, actor, reason, step=None, attempt=1):
    """Queue the next build (``step``: the transition that leads back to queued, if any), with a
    fresh lease; ``attempt`` counts the tries after workers that died (1 when a person asks)."""
    fields = {"stage": "waiting", "progress": 0, "error": "", "build_number": pack.build_number + 1}
    if step is None:  # the first build: the pack is queued from its definition
        for name, value in fields.items():
            setattr(pack, name, value)
        save_with_history(pack, actor=actor, reason=reason)
    else:
        MACHINE.move(pack, step, actor=actor, reason=reason, **fields)
    PackBuildLease.objects.update_or_create(
        pack=pack,
        defaults={
            "build_number": pack.build_number,
            "attempt": attempt,
            "worker": "",
            "claimed_at": None,
            "heartbeat_at": None,
        },
    )
    outbox.enqueue(BUILD_TASK, pack.pk, pack.build_number, actor.pk if actor else None)


@transaction.atomic
def pack_rebuild(*, pack, actor):
    """Build again: after a failure (retry) or to refresh a ready pack with newer records."""
    require_pack_manager(actor, pack.agency_id)
    pack = EvidencePack.objects.select_for_update(of=("self",)).get(pk=pack.pk)
    if pack.is_running and not is_stalled(pack):
        raise PackRuleError(_("%(ref)s is being built; wait for it to finish.") % {"ref": pack})
    step = _rebuild_step(pack)
    MACHINE.require(pack, step, actor)
    reason = RETRIED if pack.status == ST.FAILED else REBUILT
    _queue_build(pack, actor=actor, reason=reason, step=step)
    return pack


def _lease_of(pack):
    try:
        return pack.lease
    except PackBuildLease.DoesNotExist:
        return None


def last_sign_of_life(pack):
    """When the worker building ``pack`` last showed it was alive (its lease's heartbeat; the
    claim for a build claimed before leases existed)."""
    lease = _lease_of(pack)
    if lease is not None and lease.build_number == pack.build_number and lease.heartbeat_at:
        return lease.heartbeat_at
    return pack.build_started_at


def is_stalled(pack, now=None):
    """A build whose worker died: 'building', and no heartbeat for the stale threshold."""
    alive = last_sign_of_life(pack) if pack.status == ST.BUILDING else None
    limit = timedelta(seconds=pack_lease_stale_seconds())
    return bool(alive and (now or timezone.now()) - alive > limit)


@transaction.atomic
def claim_build(pack_id, build_number, worker=""):
    """Take the build's lease for ``worker`` (``host:pid``) and mark it started; False when another
    worker has it or a newer build replaced it."""
    pack = (
        EvidencePack.objects.select_for_update(of=("self",))
        .filter(pk=pack_id, build_number=build_number, status=ST.QUEUED)
        .first()
    )
    if pack is None:
        return False
    MACHINE.require(pack, "claim")
    now = timezone.now()
    # history-exempt: claiming a build (the status change is recorded by finish/fail below)
    EvidencePack.objects.filter(pk=pack_id).update(
        status=MACHINE["claim"].target, stage="gathering", progress=1, build_started_at=now
    )
    PackBuildLease.objects.update_or_create(
        pack_id=pack_id,
        defaults={
            "build_number": build_number,
            "worker": worker[:200],
            "claimed_at": now,
            "heartbeat_at": now,
        },
    )
    return True


def heartbeat(pack_id, build_number, worker=""):
    """The building worker is alive: renew its lease. False when the lease is no longer its own
    (the sweep gave the build to another worker): the build should stop."""
    ours = PackBuildLease.objects.filter(
        pack_id=pack_id, build_number=build_number, worker=worker[:200], pack__status=ST.BUILDING
    )
    # history-exempt: lease bookkeeping, renewed every few seconds
    renewed = ours.update(heartbeat_at=timezone.now())
    return renewed == 1


def report_progress(pack_id, build_number, stage, progress, worker=""):
    """Stage and percentage for the page that watches the build; also a heartbeat. False when the
    lease was lost."""
    # history-exempt: build progress bookkeeping, rewritten many times per build
    EvidencePack.objects.filter(pk=pack_id, build_number=build_number, status=ST.BUILDING).update(
        stage=stage, progress=progress
    )
    return heartbeat(pack_id, build_number, worker)


def _lock_build(pack_id, build_number):
    """The pack, locked, or ``None`` when a newer build replaced this one (or it moved on)."""
    pack = EvidencePack.objects.select_for_update(of=("self",)).get(pk=pack_id)
    if pack.build_number != build_number or pack.status != ST.BUILDING:
        return None
    return pack


@transaction.atomic
def build_finished(*, pack_id, build_number, result, actor):
    """Record the built ZIP; ``None`` when nothing was recorded (a newer build replaced this one
    or the sweep marked it failed), so the worker removes its own files."""
    pack = _lock_build(pack_id, build_number)
    if pack is None:
        return None
    fields = {
        name: getattr(result, name)
        for name in (
            "zip_path",
            "zip_sha256",
            "pdf_sha256",
            "manifest_sha256",
            "page_count",
            "file_count",
        )
    }
    MACHINE.move(
        pack,
        "finish",
        actor=actor,
        reason=f"built (build {build_number})",
        stage="done",
        progress=100,
        error="",
        built_at=timezone.now(),
        **fields,
    )
    transaction.on_commit(lambda: _remove_other_builds(pack.pk, result.zip_path))
    if actor is not None:
        notify(
            recipient=actor,
            key=f"pack-ready:{pack.pk}:{build_number}",
            subject=_("Evidence pack %(ref)s is ready") % {"ref": pack.reference},
            url=pack.get_absolute_url(),
        )
    return pack


@transaction.atomic
def build_failed(*, pack_id, build_number, error, actor):
    pack = _lock_build(pack_id, build_number)
    if pack is None:
        return EvidencePack.objects.get(pk=pack_id)
    reason = f"build {build_number} failed"
    MACHINE.move(pack, "fail", actor=actor, reason=reason, error=str(error)[:2000])
    if actor is not None:
        notify(
            recipient=actor,
            key=f"pack-failed:{pack.pk}:{build_number}",
            subject=_("Evidence pack %(ref)s could not be built") % {"ref": pack.reference},
            body=pack.error,
            url=pack.get_absolute_url(),
        )
    return pack


def _remove_other_builds(pack_id, kept):
    """Once a build is recorded, the files of earlier (or abandoned) builds go."""
    from .build import remove_builds_except

    remove_builds_except(pack_id, kept)


def recover_stale_builds(now=None):
    """Beat: builds whose worker died (no heartbeat for ``QMS_PACK_LEASE_STALE_SECONDS``) are
    queued again through the outbox, or marked failed once ``QMS_PACK_BUILD_ATTEMPTS`` tries were
    lost. Returns ``{"requeued": n, "failed": n}``. Safe to run twice."""
    counts = {"requeued": 0, "failed": 0}
    building = EvidencePack.objects.filter(status=ST.BUILDING).select_related("lease")
    for pack in building.order_by("pk"):
        outcome = _recover(pack.pk, pack.build_number, now) if is_stalled(pack, now) else None
        if outcome:
            counts[outcome] += 1
    return counts


@transaction.atomic
def _recover(pack_id, build_number, now):
    pack = (
        EvidencePack.objects.select_for_update(of=("self",))
        .select_related("defined_by")
        .get(pk=pack_id)
    )
    if pack.build_number != build_number or not is_stalled(pack, now):
        return None  # it moved on, or its worker renewed the lease meanwhile
    lease = _lease_of(pack)
    attempt = lease.attempt if lease is not None else 1
    lost = f"build {build_number} lost its worker"
    if attempt >= pack_build_attempts():
        build_failed(
            pack_id=pack_id,
            build_number=build_number,
            error=_(
                "The build stopped without finishing %(count)s times: the worker building it "
                "stopped (restart, crash or out of memory). Retry it; if it stops again, tell "
                "the administrator."
            )
            % {"count": attempt},
            actor=None,
        )
        # history-exempt: lease bookkeeping; the old worker, if only silent, loses its lease
        PackBuildLease.objects.filter(pack_id=pack_id).update(worker="", claimed_at=None)
        return "failed"
    _queue_build(
        pack, actor=None, reason=f"{lost}; queued again", step="requeue", attempt=attempt + 1
    )
    return "requeued"


# --- Sharing -------------------------------------------------------------------------------


def _end_of_day(day):
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


def _documents_of(pack):
    """Documents whose files are in the built pack (read from its manifest)."""
    import json
    import zipfile
    from pathlib import Path

    from django.conf import settings

    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / pack.zip_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    numbers = sorted({entry["document"] for entry in manifest["files"] if entry.get("document")})
    return list(Document.objects.filter(agency_id=pack.agency_id, number__in=numbers))


@transaction.atomic
def pack_share(*, pack, actor, certifier, expires_on):
    """Share ``pack`` with ``certifier`` until the end of ``expires_on``."""
    require_pack_manager(actor, pack.agency_id)
    pack = EvidencePack.objects.select_for_update(of=("self",)).get(pk=pack.pk)
    if not (isinstance(certifier, Person) and certifier.is_certifier and certifier.is_active):
        raise PackRuleError(_("Packs can be shared with active certifier accounts only."))
    if not MACHINE.state_allows(pack, "share"):
        raise PackRuleError(_("Share the pack once it is built."))
    if expires_on <= timezone.localdate():
        raise PackRuleError(_("Choose an expiry date after today."))
    if PackShare.objects.active().filter(pack=pack, certifier=certifier).exists():
        raise PackRuleError(
            _("%(name)s already has this pack; revoke that share first to change its expiry.")
            % {"name": certifier.display_name}
        )
    documents = _documents_of(pack)
    # Permissions an expired share still holds until the sweep are not "already" the certifier's:
    # this share grants them itself, so that sweep leaves them in place.
    already = set(
        DocumentUserObjectPermission.objects.filter(
            user=certifier, permission__codename="view_document"
        ).values_list("content_object_id", flat=True)
    ) - set(lapsed_share_documents(certifier))
    granted = sorted(d.pk for d in documents if d.pk not in already)
    share = PackShare(
        pack=pack,
        certifier=certifier,
        expires_at=_end_of_day(expires_on),
        shared_by=actor,
        granted_document_ids=granted,
    )
    save_with_history(share, actor=actor, reason=SHARED)
    assign_perm("packs.view_evidencepack", certifier, pack)
    for document in Document.objects.filter(pk__in=granted).order_by("pk"):
        document_workflow.share_with_certifier(document=document, certifier=certifier, actor=actor)
    notify(
        recipient=certifier,
        key=f"pack-shared:{share.pk}",
        subject=_("Evidence pack %(ref)s shared with you until %(date)s")
        % {"ref": pack.reference, "date": expires_on.isoformat()},
        url=pack.get_absolute_url(),
        actor=actor,
    )
    return share


def _take_back(share):
    """Remove what the share granted, keeping what another share in force still grants."""
    others = PackShare.objects.active().filter(certifier=share.certifier).exclude(pk=share.pk)
    still_granted = set()
    for other in others:
        still_granted.update(other.granted_document_ids)
    if not others.filter(pack=share.pack).exists():
        remove_perm("packs.view_evidencepack", share.certifier, share.pack)
    ids = [pk for pk in share.granted_document_ids if pk not in still_granted]
    for document in Document.objects.filter(pk__in=ids).order_by("pk"):
        remove_perm("documents.view_document", share.certifier, document)
    share.ended_at = timezone.now()


@transaction.atomic
def share_revoke(*, share, actor):
    require_pack_manager(actor, share.pack.agency_id)
    share = (
        PackShare.objects.select_for_update(of=("self",))
        .select_related("pack", "certifier")
        .get(pk=share.pk)
    )
    if share.revoked_at:  # withdrawn already: nothing more to take back
        return share
    SHARE_MACHINE.require(share, "revoke")
    share.revoked_at, share.revoked_by = timezone.now(), actor
    _take_back(share)
    save_with_history(share, actor=actor, reason=REVOKED)
    return share


def expire_shares(now=None):
    """Beat: take back the permissions of shares past their expiry. Safe to run twice."""
    count = 0
    for share_id in PackShare.objects.lapsed_with_permissions(now).values_list("pk", flat=True):
        with transaction.atomic():
            share = (
                PackShare.objects.select_for_update(of=("self",))
                .select_related("pack", "certifier")
                .filter(pk=share_id, ended_at__isnull=True)
                .first()
            )
            # Lapsed as of ``now`` (the query above decides; the state reads the clock): a share
            # taken back meanwhile is skipped, never an error that would stop the beat run.
            if share is None or share.is_active(now):
                continue
            _take_back(share)
            save_with_history(share, actor=None, reason=EXPIRED)
            count += 1
    return count


# --- Downloads -----------------------------------------------------------------------------


def open_built_zip(pack, person):
    """The pack's built ZIP, opened once and checked against its recorded hash, for ``person`` to
    download; the handle checked is the one served, even if a rebuild's clean-up removes the
    folder meanwhile. Raises :class:`PackRuleError` saying why it cannot be downloaded."""
    if not MACHINE.may(person, pack, "download"):
        raise PackRuleError(_("The pack is not built yet."))
    try:
        handle = (Path(settings.MEDIA_ROOT) / pack.zip_path).open("rb")
    except FileNotFoundError:
        raise PackRuleError(
            _(
                "The pack's file is no longer stored (a newer build replaced it); open the pack "
                "again, or rebuild it."
            )
        ) from None
    if sha256_of_file(handle) != pack.zip_sha256:  # reads from the start, then seeks back to 0
        handle.close()
        raise PackRuleError(_("The stored pack does not match its recorded hash; rebuild it."))
    return handle


def record_download(*, pack, person, client_address, user_agent=""):
    """Every download is logged: who, when, from which address, which bytes."""
    if client_address in ("", "unknown"):
        client_address = None
    return PackDownload.objects.create(
        pack=pack,
        person=person,
        client_address=client_address,
        user_agent=user_agent[:300],
        zip_sha256=pack.zip_sha256,
    )
