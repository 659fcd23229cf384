"""Every change to citizen requests: submission (web form or Open311), the staff workflow, ratings.

Steps of a request (ISO 9001:2015 8.2.1 communication with customers, 8.5 provision of
service, 9.1.2 customer satisfaction):

    received ──acknowledge──► acknowledged ──start──► in progress ──resolve──► resolved ──close──► closed
       │  ▲                       │                       │                    │
       │  └─transfer (another department; the new one starts from received)  reopen ─► in progress
       └──────────── reject (the reason is shown to the citizen) ─────────────► rejected

plus ``assign`` (while open) and ``add_update`` (any time), which keep the state. Each function
locks the request, checks who may act, writes the change with a stable reason in history and an
update row (public or internal), and queues notifications only after the commit.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from qms_portal import outbox, uploads
from qms_portal.errors import RuleError
from qms_portal.history_reasons import reason as history_reason
from qms_portal.organisation.notifications import notify
from qms_portal.organisation.roles import heads_of
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access
from .models import (
    RequestPhoto,
    RequestUpdate,
    ServiceRequest,
    SubmissionKey,
    new_tracking_code,
)
from .working_days import add_working_days

Status = ServiceRequest.Status
OPEN = ServiceRequest.OPEN_STATUSES
EVERY_STATE = tuple(Status)
MAX_PHOTOS = 3
#: The step the request page offers quality managers and auditors (taken in audits).
RAISE_NONCONFORMITY = "raise_nonconformity"


class RequestError(RuleError):
    """A rule of request handling was broken; the message says what to do instead."""


class SubmissionKeyReused(RequestError):
    """A submission key came back with a different submission than the one it was first sent with."""


@dataclass(frozen=True)
class SubmissionOnce:
    """The key that makes a submission idempotent, in its scope (the public form, or one api_key)."""

    scope: str
    key: str


def _step(name, sources, target, label):
    return Transition(name, sources=sources, target=target, label=label, allowed=access.can_handle)


REQUEST_MACHINE = StateMachine(
    _step(
        "acknowledge", [Status.RECEIVED], Status.ACKNOWLEDGED, pgettext_lazy("step", "acknowledged")
    ),
    _step(
        "start",
        [Status.RECEIVED, Status.ACKNOWLEDGED],
        Status.IN_PROGRESS,
        pgettext_lazy("step", "started"),
    ),
    _step(
        "resolve",
        [Status.ACKNOWLEDGED, Status.IN_PROGRESS],
        Status.RESOLVED,
        pgettext_lazy("step", "resolved"),
    ),
    _step("reopen", [Status.RESOLVED], Status.IN_PROGRESS, pgettext_lazy("step", "reopened")),
    _step("close", [Status.RESOLVED], Status.CLOSED, pgettext_lazy("step", "closed")),
    _step("reject", OPEN, Status.REJECTED, pgettext_lazy("step", "rejected")),
    _step("transfer", OPEN, Status.RECEIVED, pgettext_lazy("step", "transferred")),
    _step("assign", OPEN, None, pgettext_lazy("step", "assigned")),
    _step("add_update", EVERY_STATE, None, pgettext_lazy("step", "updated")),
    model=ServiceRequest,
    tones={
        Status.RECEIVED: Tone.WARN,
        Status.RESOLVED: Tone.OK,
        Status.CLOSED: Tone.OK,
        Status.REJECTED: Tone.BAD,
    },
    describe=lambda request: _("Request #%(id)s") % {"id": request.pk},
    error=RequestError,
)
MACHINE = REQUEST_MACHINE


def available_steps(request, person):
    """The steps ``person`` may take on the request now, in the order the page offers them."""
    steps = REQUEST_MACHINE.available(request, person)
    if (
        access.can_raise_nonconformity(person, request)
        and ServiceRequest.objects.nonconformity_candidates().filter(pk=request.pk).exists()
    ):
        steps.append(RAISE_NONCONFORMITY)
    return steps


# Submission -------------------------------------------------------------------------------------


def check_photos(photos, service):
    """Validate photos before anything is written (raises ValidationError with the reason); each
    is re-encoded without its EXIF (GPS position, author) and that cleaned copy is what is stored."""
    photos = [photo for photo in photos if photo]
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS})
    return [
        photo
        if isinstance(photo, uploads.CheckedUpload)  # checked already (the web form did)
        else uploads.check_upload(
            photo, allowed=uploads.IMAGE_KINDS, folder=f"services/{service.agency.code}"
        )
        for photo in photos
    ]


def submit_request(*, service, submission, channel, photos=(), api_key=None, at=None, once=None):
    """Record a citizen's request with its due date (the service commitment in working days).

    The same function serves the public form and Open311, so both make the same records. With
    ``once`` (a :class:`SubmissionOnce`) the same post sent again, at the same moment or later,
    returns the first request and writes nothing; the key with another submission is refused.
    """
    if not (service.is_active and service.is_public):
        raise RequestError(
            _("The service %(code)s is not open to the public.") % {"code": service.code}
        )
    at = at or timezone.now()
    checked = check_photos(photos, service)
    fingerprint = submission_fingerprint(service, submission, checked) if once else ""
    earlier = _request_sent_with(once, fingerprint) if once else None
    if earlier is not None:
        return earlier
    due = add_working_days(service.agency_id, timezone.localdate(at), service.commitment_days)
    request = ServiceRequest(
        service=service,
        department_id=service.department_id,
        channel=channel,
        api_key=api_key,
        submitted_at=at,
        updated_at=at,
        due_date=due,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        **vars(submission),
    )
    with uploads.removing_on_failure(*checked), transaction.atomic():
        claim = _claim_submission_key(once, fingerprint) if once else None
        if once and claim is None:  # a post with the same key was recorded meanwhile
            return _request_sent_with(once, fingerprint)
        _save_with_fresh_tracking_code(request)
        for item in checked:
            stored = RequestPhoto(
                request=request,
                storage_name=item.storage_name,
                original_filename=item.display_name,
                file_kind=item.kind.code,
                file_size=item.size,
                sha256=item.sha256,
            )
            stored.file.save(item.storage_name, item.content, save=False)
            stored.save()
        if claim is not None:
            claim.service_request = request
            claim.save(update_fields=["service_request"])
    request.service = service
    return request


def submission_fingerprint(service, submission, checked_photos=()):
    """A digest of what was submitted, to tell a repeated post from a new one with the same key."""
    content = {
        "service": service.pk,
        **{name: str(value) for name, value in vars(submission).items() if name != "answers"},
        "answers": submission.answers,
        "photos": [item.sha256 for item in checked_photos],
    }
    encoded = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _request_sent_with(once, fingerprint):
    """The request an earlier post with this key made, or None; refused for another submission."""
    earlier = (
        SubmissionKey.objects.select_related("service_request__service")
        .filter(scope=once.scope, key=once.key)
        .first()
    )
    if earlier is None:
        return None
    if earlier.fingerprint != fingerprint:
        raise SubmissionKeyReused(
            _(
                "This submission key was already used for a different submission. To send a new "
                "request, open the form again (or use a new Idempotency-Key)."
            )
        )
    return earlier.service_request


def _claim_submission_key(once, fingerprint):
    """The key's row, written in the caller's transaction; None when another post holds the key.

    On PostgreSQL a concurrent insert of the same key waits for the first transaction and then
    fails on the unique constraint (inside a savepoint, so the caller's transaction goes on).
    """
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(
                scope=once.scope, key=once.key, fingerprint=fingerprint
            )
    except IntegrityError:
        return None


def _save_with_fresh_tracking_code(request, attempts=5):
    for attempt in range(attempts):
        request.tracking_code = new_tracking_code()
        try:
            with transaction.atomic():
                save_with_history(request, actor=None, reason=gettext_noop("Submitted"))
            return
        except IntegrityError:  # an 80-bit collision: practically never; draw again
            if attempt == attempts - 1:
                raise


# Staff steps ------------------------------------------------------------------------------------


def _lock(request_id):
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("service", "department")
        .get(pk=request_id)
    )


def _locked(name, request_id, actor):
    """The request, locked, once ``actor`` may take step ``name`` on it (403, else 409)."""
    request = _lock(request_id)
    access.require_handler(actor, request)
    REQUEST_MACHINE.require(request, name)
    return request


def _record(request, *, actor, at, text="", public=False, from_status="", to_status=""):
    """One step of the request's life; a public one is e-mailed to a citizen who left an address
    (recorded in the outbox with the step, so a broker outage does not lose it)."""
    update = RequestUpdate.objects.create(
        request=request,
        author=actor,
        text=text,
        is_public=public,
        from_status=from_status,
        to_status=to_status,
        created_at=at,
    )
    if public and request.citizen_email:
        outbox.enqueue("services.tasks.email_citizen", update.pk)
    return update


def _move(request, name, *, actor, at, text="", public=True, detail=None, **fields):
    """Take a state step on a locked request: history names the step (and ``detail``, by default
    the text), the update row tells the citizen when public."""
    previous = request.status
    if text and public:
        fields["public_note"] = text
    REQUEST_MACHINE.move(
        request,
        name,
        actor=actor,
        reason=history_reason(REQUEST_MACHINE[name].label, text if detail is None else detail),
        updated_at=at,
        **fields,
    )
    _record(
        request,
        actor=actor,
        at=at,
        text=text,
        public=public,
        from_status=previous,
        to_status=request.status,
    )
    return request


def _transition(name, *, request_id, actor, text="", at=None, **fields):
    at = at or timezone.now()
    with transaction.atomic():
        request = _locked(name, request_id, actor)
        return _move(request, name, actor=actor, at=at, text=text, **fields)


def _required_text(text, message):
    text = (text or "").strip()
    if not text:
        raise RequestError(message)
    return text


def acknowledge(*, request_id, actor, note="", at=None):
    """Tell the citizen the request has been seen by the responsible department."""
    return _transition("acknowledge", request_id=request_id, actor=actor, text=note.strip(), at=at)


def start_work(*, request_id, actor, note="", at=None):
    return _transition("start", request_id=request_id, actor=actor, text=note.strip(), at=at)


def resolve(*, request_id, actor, note, at=None):
    """Record what was done; the citizen reads it and can then rate the service."""
    note = _required_text(note, _("Say what was done, so the citizen can read it."))
    at = at or timezone.now()
    return _transition(
        "resolve", request_id=request_id, actor=actor, text=note, at=at, resolved_at=at
    )


def reopen(*, request_id, actor, reason, at=None):
    reason = _required_text(reason, _("Give the reason for reopening the request."))
    return _transition(
        "reopen", request_id=request_id, actor=actor, text=reason, at=at, resolved_at=None
    )


def close(*, request_id, actor, note="", at=None):
    at = at or timezone.now()
    return _transition(
        "close", request_id=request_id, actor=actor, text=note.strip(), at=at, closed_at=at
    )


def reject(*, request_id, actor, reason, at=None):
    """Refuse the request; the reason is shown to the citizen on the tracking page."""
    reason = _required_text(reason, _("Give the reason for rejecting; the citizen will read it."))
    at = at or timezone.now()
    return _transition(
        "reject",
        request_id=request_id,
        actor=actor,
        text=reason,
        at=at,
        rejection_reason=reason,
        closed_at=at,
    )


def transfer(*, request_id, actor, department, reason, at=None):
    """Hand the request to another department, which takes it from "received"."""
    reason = _required_text(reason, _("Say why the request goes to another department."))
    at = at or timezone.now()
    with transaction.atomic():
        request = _locked("transfer", request_id, actor)
        if department.agency_id != request.service.agency_id or not department.is_active:
            raise RequestError(_("Choose an active department of the same agency."))
        if department.pk == request.department_id:
            raise RequestError(
                _("The request is already with %(department)s.") % {"department": department.name}
            )
        old = request.department.name
        text = _("Transferred from %(old)s to %(new)s: %(reason)s") % {
            "old": old,
            "new": department.name,
            "reason": reason,
        }
        _move(
            request,
            "transfer",
            actor=actor,
            at=at,
            text=text,
            public=False,
            detail=f"{old} → {department.name}: {reason}",
            department=department,
            assignee=None,
        )
    _notify_heads(
        request,
        key="transferred",
        subject=gettext_lazy("Request #%(id)s transferred to you"),
        actor=actor,
    )
    return request


def assign(*, request_id, actor, assignee, at=None):
    """Give the request to a member of the responsible department."""
    at = at or timezone.now()
    with transaction.atomic():
        request = _locked("assign", request_id, actor)
        if assignee is not None and request.department_id not in assignee.department_ids:
            raise RequestError(
                _("%(person)s does not work in %(department)s; choose one of its staff.")
                % {"person": assignee, "department": request.department.name}
            )
        # Internal: the public updated_at stays as it was.
        REQUEST_MACHINE.move(
            request,
            "assign",
            actor=actor,
            reason=history_reason(gettext_noop("Assigned to"), str(assignee))
            if assignee
            else gettext_noop("Unassigned"),
            assignee=assignee,
        )
        update = _record(
            request,
            actor=actor,
            at=at,
            text=_("Assigned to %(person)s") % {"person": assignee}
            if assignee
            else _("Unassigned"),
        )
        if assignee is not None and assignee.pk != actor.pk:
            notify(
                recipient=assignee,
                key=f"services:assigned:{request.pk}:{update.pk}",
                subject=lambda: _("Request #%(id)s assigned to you") % {"id": request.pk},
                body=lambda: request.description[:500],
                url=request.get_absolute_url(),
                actor=actor,
            )
    return request


def add_update(*, request_id, actor, text, public, at=None):
    """A public update (the citizen reads it) or an internal note (staff only).

    An internal note leaves the request itself untouched: ``updated_at`` is the public "last
    changed" (Open311 updated_datetime), and even the timing of a note must not reach citizens.
    """
    text = _required_text(text, _("Write the update first."))
    at = at or timezone.now()
    with transaction.atomic():
        request = _locked("add_update", request_id, actor)
        update = _record(request, actor=actor, at=at, text=text, public=public)
        if public:
            REQUEST_MACHINE.move(
                request,
                "add_update",
                actor=actor,
                reason=gettext_noop("Public update"),
                update_fields=[],
                updated_at=at,
                public_note=text,
            )
    return update


# Citizen feedback -------------------------------------------------------------------------------


def rate(*, tracking_code, score, comment="", at=None):
    """The citizen's rating (1–5) after resolution (ISO 9001 9.1.2); once per request."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise RequestError(_("Choose a rating from 1 to 5."))
    at = at or timezone.now()
    with transaction.atomic():
        request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("service", "department")
            .filter(tracking_code=tracking_code)
            .first()
        )
        if request is None:
            raise RequestError(_("No request has this tracking code."))
        if request.rating is not None:
            raise RequestError(_("This request has been rated already. Thank you!"))
        if not request.can_be_rated:
            raise RequestError(_("You can rate the service once the request is resolved."))
        request.rating = score
        request.rating_comment = (comment or "").strip()[:2000]
        request.rated_at = at
        save_with_history(
            request,
            actor=None,
            reason=history_reason(gettext_noop("Rated"), str(score)),
            update_fields=["rating", "rating_comment", "rated_at"],
        )
    if score <= ServiceRequest.LOW_RATING:
        _notify_heads(
            request,
            key="low-rating",
            subject=gettext_lazy("Low rating for request #%(id)s"),
            actor=None,
        )
    return request


def link_nonconformity(*, request_id, actor, reference):
    """Record the nonconformity raised from a complaint or a low rating (called by audits)."""
    reference = _required_text(reference, _("Give the nonconformity's reference."))
    with transaction.atomic():
        request = _lock(request_id)
        if not access.can_raise_nonconformity(actor, request):
            raise PermissionDenied(_("Only quality managers and auditors raise nonconformities."))
        if request.nonconformity_ref:
            raise RequestError(
                _("Request #%(id)s is already linked to %(ref)s.")
                % {"id": request.pk, "ref": request.nonconformity_ref}
            )
        request.nonconformity_ref = reference[:60]
        save_with_history(
            request,
            actor=actor,
            reason=history_reason(gettext_noop("Nonconformity"), reference),
            update_fields=["nonconformity_ref"],
        )
        _record(
            request,
            actor=actor,
            at=timezone.now(),
            text=_("Nonconformity %(ref)s raised") % {"ref": reference},
        )
    return request


def _notify_heads(request, *, key, subject, actor):
    for head in heads_of([request.department_id]).get(request.department_id, []):
        notify(
            recipient=head,
            key=f"services:{key}:{request.pk}:{request.department_id}:{head.pk}",
            subject=lambda: subject % {"id": request.pk},
            body=lambda: request.description[:500],
            url=request.get_absolute_url(),
            actor=actor,
        )
