"""Every change to a management review (ISO 9001 9.3): draft ──sign (chair)──► signed.

The steps are declared once (``REVIEW_MACHINE``) with the predicates of ``access.py``; the page
offers ``available_steps``. Each function locks the row it changes, checks who may act, records
history with a stable reason and raises :class:`ReviewError` with a message the person can act on. Decisions become actions
(``capa``); the chair's signature is a report signature (``auditing``).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from qms_portal.organisation.roles import is_quality_manager_of
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from ..auditing.models import ReportSignature
from ..auditing.workflow import AuditRuleError, _record_signature, _same_agency
from ..capa.models import Action
from ..capa.workflow import _action_create
from . import access
from . import inputs as review_inputs
from .models import ManagementReview

RS = ManagementReview.Status


class ReviewError(AuditRuleError):
    """A rule of management review was broken; the message says what to do (400, as before)."""


#: The review's steps; the draft's editing steps keep the state, signing makes the minutes final.
REVIEW_MACHINE = StateMachine(
    Transition(
        "refresh",
        sources=[RS.DRAFT],
        target=None,
        label=pgettext_lazy("step", "gathered again"),
        allowed=access.can_edit_review,
    ),
    Transition(
        "minutes",
        sources=[RS.DRAFT],
        target=None,
        label=pgettext_lazy("step", "edited"),
        allowed=access.can_edit_review,
    ),
    Transition(
        "action",
        sources=[RS.DRAFT],
        target=None,
        label=pgettext_lazy("step", "given an action"),
        allowed=access.can_edit_review,
    ),
    Transition(
        "sign",
        sources=[RS.DRAFT],
        target=RS.SIGNED,
        label=pgettext_lazy("step", "signed"),
        allowed=access.is_chair,
    ),
    model=ManagementReview,
    tones={RS.SIGNED: Tone.OK},
    describe=str,
    error=ReviewError,
)


def available_steps(review, person):
    """The steps of the review page this person may take now."""
    return REVIEW_MACHINE.available(review, person)


def _check_period(start, end):
    if start and end and end < start:
        raise ReviewError(
            _("The %(what)s end (%(end)s) is before its start (%(start)s); correct the dates.")
            % {"what": _("review period"), "start": start.isoformat(), "end": end.isoformat()}
        )


# --- Management review ---------------------------------------------------------------------


@transaction.atomic
def review_create(*, actor, title, period_start, period_end, meeting_date, chair, attendees=()):
    """Prepare a management review; its inputs are gathered from the period's data at once."""
    if not is_quality_manager_of(actor, actor.agency_id):
        raise PermissionDenied(
            _("Only a quality manager can %(what)s.") % {"what": _("prepare a management review")}
        )
    _check_period(period_start, period_end)
    attendees = list(attendees)
    _same_agency([chair, *attendees], actor.agency_id, _("at the review"))
    review = ManagementReview(
        agency_id=actor.agency_id,
        title=title,
        period_start=period_start,
        period_end=period_end,
        meeting_date=meeting_date,
        chair=chair,
    )
    save_with_history(review, actor=actor, reason=gettext_noop("Management review prepared"))
    review.attendees.set(attendees)
    _gather(review, actor=actor)
    return review


def _gather(review, *, actor):
    review.inputs = review_inputs.gather(
        review.agency, review.period_start, review.period_end, exclude_review=review
    )
    review.inputs_gathered_at = timezone.now()
    save_with_history(
        review, actor=actor, reason=gettext_noop("Inputs gathered from the period's data")
    )


def _lock_review(review_id):
    return (
        ManagementReview.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=review_id)
    )


def _require_review_draft(review, actor, step):
    """The draft's editing steps: the chair or a quality manager, while the minutes are unsigned."""
    if not access.can_edit_review(actor, review):
        raise PermissionDenied(_("Only the chair or a quality manager can change the review."))
    if not REVIEW_MACHINE.state_allows(review, step):
        raise ReviewError(_("The minutes are signed; they can no longer change."))


@transaction.atomic
def review_refresh_inputs(*, review, actor):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor, "refresh")
    _gather(review, actor=actor)
    return review


@transaction.atomic
def review_record(*, review, actor, discussion, decisions):
    """The chair records the discussion and the decisions (ISO 9001 9.3.3)."""
    review = _lock_review(review.pk)
    _require_review_draft(review, actor, "minutes")
    return REVIEW_MACHINE.move(
        review,
        "minutes",
        actor=actor,
        reason=gettext_noop("Minutes edited"),
        discussion=(discussion or "").strip(),
        decisions=(decisions or "").strip(),
    )


@transaction.atomic
def review_add_action(*, review, actor, title, owner, due_date, description=""):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor, "action")
    return _action_create(
        actor=actor,
        agency_id=review.agency_id,
        kind=Action.Kind.REVIEW,
        title=title,
        owner=owner,
        due_date=due_date,
        description=description,
        review=review,
    )


@transaction.atomic
def review_sign(*, review, signer, password):
    """The chair signs the minutes; they are then final."""
    review = _lock_review(review.pk)
    if not access.is_chair(signer, review):
        raise PermissionDenied(_("Only the chair of the review signs the minutes."))
    REVIEW_MACHINE.require(review, "sign")
    if not review.decisions.strip():
        raise ReviewError(_("Record the decisions before signing the minutes."))
    signature = _record_signature(
        signer=signer, password=password, meaning=ReportSignature.Meaning.CHAIR, review=review
    )
    REVIEW_MACHINE.move(
        review, "sign", actor=signer, reason=gettext_noop("Minutes signed by the chair")
    )
    return signature
