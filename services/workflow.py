"""Every change to citizen requests: submission (web form or Open311), the staff workflow, ratings.

Transitions of a request (ISO 9001:2015 8.2.1 communication with customers, 8.5 provision of
service, 9.1.2 customer satisfaction):

    received ──acknowledge──► acknowledged ──start──► in progress ──resolve──► resolved ──close──► closed
       │  ▲                       │                       │                    │
       │  └─transfer (another department; the new one starts from received)  reopen ─► in progress
       └──────────── reject (the reason is shown to the citizen) ─────────────► rejected

Each function locks the request, checks who may act, writes the change with a reason in history
and an update row (public or internal), and queues notifications only after the commit.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms_portal import outbox, uploads
from qms_portal.organisation.models import Department, Membership
from qms_portal.organisation.notifications import notify

from .models import RequestPhoto, RequestUpdate, ServiceRequest, new_tracking_code
from .working_days import add_working_days

Status = ServiceRequest.Status
OPEN = ServiceRequest.OPEN_STATUSES
MAX_PHOTOS = 3

#: Allowed transitions: name → (from states, to state).
TRANSITIONS = {
    "acknowledge": ((Status.RECEIVED,), Status.ACKNOWLEDGED),
    "start": ((Status.RECEIVED, Status.ACKNOWLEDGED), Status.IN_PROGRESS),
    "resolve": ((Status.ACKNOWLEDGED, Status.IN_PROGRESS), Status.RESOLVED),
    "reopen": ((Status.RESOLVED,), Status.IN_PROGRESS),
    "close": ((Status.RESOLVED,), Status.CLOSED),
    "reject": (OPEN, Status.REJECTED),
    "transfer": (OPEN, Status.RECEIVED),
}

# Lazy: a module-level gettext would freeze the language of whoever imported the module first.
_ACTION_NAMES = {
    "acknowledge": gettext_lazy("acknowledged"),
    "start": gettext_lazy("started"),
    "resolve": gettext_lazy("resolved"),
    "reopen": gettext_lazy("reopened"),
    "close": gettext_lazy("closed"),
    "reject": gettext_lazy("rejected"),
    "transfer": gettext_lazy("transferred"),
}


class RequestError(Exception):
    """A rule of request handling was broken; the message says what to do instead."""


# Who may do what --------------------------------------------------------------------------------


def can_handle(person, request):
    """Staff of the responsible department (and its sections), quality managers, administrators."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser:
        return True
    if person.agency_id is None or person.agency_id != request.service.agency_id:
        return False
    return (
        person.is_quality_manager
        or person.is_administrator
        or request.department_id in person.department_ids
    )


def allowed_actions(request):
    """The transitions the request's state allows (the page shows the ones the person may do)."""
    return [name for name, (sources, _target) in TRANSITIONS.items() if request.status in sources]


# Submission -------------------------------------------------------------------------------------


def check_photos(photos, service):
    """Validate photos before anything is written (raises ValidationError with the reason)."""
    photos = [photo for photo in photos if photo]
    if len(photos) > MAX_PHOTOS:
        from django.core.exceptions import ValidationError

        raise ValidationError(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS})
    return [
        (
            uploads.check_upload(
                photo, allowed=uploads.IMAGE_KINDS, folder=f"services/{service.agency.code}"
            ),
            photo,
        )
        for photo in photos
    ]


def submit_request(*, service, submission, channel, photos=(), api_key=None, at=None):
    """Record a citizen's request with its due date (the service commitment in working days).

    The same function serves the public form and Open311, so both make the same records.
    """
    if not (service.is_active and service.is_public):
        raise RequestError(
            _("The service %(code)s is not open to the public.") % {"code": service.code}
        )
    at = at or timezone.now()
    checked = check_photos(photos, service)
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
    with uploads.removing_on_failure(*(item for item, _photo in checked)), transaction.atomic():
        _save_with_fresh_tracking_code(request)
        for item, photo in checked:
            stored = RequestPhoto(
                request=request,
                storage_name=item.storage_name,
                original_filename=item.display_name,
                file_kind=item.kind.code,
                file_size=item.size,
                sha256=item.sha256,
            )
            stored.file.save(item.storage_name, photo, save=False)
            stored.save()
    request.service = service
    return request


def _save_with_fresh_tracking_code(request, attempts=5):
    for attempt in range(attempts):
        request.tracking_code = new_tracking_code()
        request._change_reason = "submitted"
        try:
            with transaction.atomic():
                request.save()
            return
        except IntegrityError:  # an 80-bit collision: practically never; draw again
            if attempt == attempts - 1:
                raise


# Staff transitions ------------------------------------------------------------------------------


def _lock(request_id):
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("service", "department")
        .get(pk=request_id)
    )


def _require(actor, request, name=None):
    if not can_handle(actor, request):
        raise PermissionDenied(
            _("Only staff of %(department)s or a quality manager can handle request #%(id)s.")
            % {"department": request.department.name, "id": request.pk}
        )
    if name is None:
        return
    sources, _target = TRANSITIONS[name]
    if request.status not in sources:
        raise RequestError(
            _("Request #%(id)s is %(status)s, so it cannot be %(action)s.")
            % {
                "id": request.pk,
                "status": request.get_status_display().lower(),
                "action": _ACTION_NAMES[name],
            }
        )


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


def _transition(name, *, request_id, actor, text="", public=True, at=None, **fields):
    at = at or timezone.now()
    with transaction.atomic():
        request = _lock(request_id)
        _require(actor, request, name)
        previous = request.status
        request.status = TRANSITIONS[name][1]
        request.updated_at = at
        if text and public:
            request.public_note = text
        for field_name, value in fields.items():
            setattr(request, field_name, value)
        request._change_reason = f"{name}: {text}"[:500] if text else name
        request.save()
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
    with transaction.atomic():
        request = _lock(request_id)
        _require(actor, request, "transfer")
        if department.agency_id != request.service.agency_id or not department.is_active:
            raise RequestError(_("Choose an active department of the same agency."))
        if department.pk == request.department_id:
            raise RequestError(
                _("The request is already with %(department)s.") % {"department": department.name}
            )
        text = _("Transferred from %(old)s to %(new)s: %(reason)s") % {
            "old": request.department.name,
            "new": department.name,
            "reason": reason,
        }
        request = _transition(
            "transfer",
            request_id=request_id,
            actor=actor,
            text=text,
            public=False,
            at=at,
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
        request = _lock(request_id)
        _require(actor, request)
        if not request.is_open:
            raise RequestError(
                _("Request #%(id)s is finished; it cannot be assigned.") % {"id": request.pk}
            )
        if assignee is not None and request.department_id not in assignee.department_ids:
            raise RequestError(
                _("%(person)s does not work in %(department)s; choose one of its staff.")
                % {"person": assignee, "department": request.department.name}
            )
        request.assignee = assignee  # internal: the public updated_at stays as it was
        request._change_reason = f"assigned to {assignee}" if assignee else "unassigned"
        request.save()
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
        request = _lock(request_id)
        _require(actor, request)
        update = _record(request, actor=actor, at=at, text=text, public=public)
        if public:
            request.updated_at = at
            request.public_note = text
            request._change_reason = "public update"
            request.save(update_fields=["updated_at", "public_note"])
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
        if request.status not in (Status.RESOLVED, Status.CLOSED):
            raise RequestError(_("You can rate the service once the request is resolved."))
        request.rating = score
        request.rating_comment = (comment or "").strip()[:2000]
        request.rated_at = at
        request._change_reason = f"rated {score}"
        request.save(update_fields=["rating", "rating_comment", "rated_at"])
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
        if not (actor.is_quality_manager or actor.is_auditor or actor.is_superuser) or (
            actor.agency_id != request.service.agency_id and not actor.is_superuser
        ):
            raise PermissionDenied(_("Only quality managers and auditors raise nonconformities."))
        if request.nonconformity_ref:
            raise RequestError(
                _("Request #%(id)s is already linked to %(ref)s.")
                % {"id": request.pk, "ref": request.nonconformity_ref}
            )
        request.nonconformity_ref = reference[:60]
        request._change_reason = f"nonconformity {reference}"
        request.save(update_fields=["nonconformity_ref"])
        _record(
            request,
            actor=actor,
            at=timezone.now(),
            text=_("Nonconformity %(ref)s raised") % {"ref": reference},
        )
    return request


def department_heads(department_ids):
    """{department id: [heads]}, falling back to the parent department's heads for a section."""
    departments = {d.pk: d.parent_id for d in Department.objects.filter(pk__in=department_ids)}
    wanted = set(departments) | {p for p in departments.values() if p}
    heads = {}
    for membership in Membership.objects.filter(
        is_head=True, department_id__in=wanted, person__is_active=True
    ).select_related("person"):
        heads.setdefault(membership.department_id, []).append(membership.person)
    return {pk: heads.get(pk) or heads.get(parent, []) for pk, parent in departments.items()}


def _notify_heads(request, *, key, subject, actor):
    for head in department_heads([request.department_id]).get(request.department_id, []):
        notify(
            recipient=head,
            key=f"services:{key}:{request.pk}:{request.department_id}:{head.pk}",
            subject=lambda: subject % {"id": request.pk},
            body=lambda: request.description[:500],
            url=request.get_absolute_url(),
            actor=actor,
        )
