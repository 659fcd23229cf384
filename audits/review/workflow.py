"""Every change to a management review (ISO 9001 9.3): draft ──sign (chair)──► signed.

Each function locks the rows it changes, checks who may act, records history with a reason and
raises :class:`AuditRuleError` with a message the person can act on. Decisions become actions
(``capa``); the chair's signature is a report signature (``auditing``).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..auditing.models import ReportSignature
from ..auditing.workflow import (
    AuditRuleError,
    _check_dates,
    _check_password,
    _record_signature,
    _refuse_unless_in,
    _same_agency,
    _save,
    is_quality_manager_of,
    require_quality_manager,
)
from ..capa.models import Action
from ..capa.workflow import _action_create
from . import inputs as review_inputs
from .models import ManagementReview

RS = ManagementReview.Status

#: Allowed transitions: name → (from states, to state).
TRANSITIONS = {
    "review_sign": ((RS.DRAFT,), RS.SIGNED),
}

# Lazy: a module-level gettext would freeze the language of whoever imported the module first.
_ACTION_NAMES = {
    "review_sign": gettext_lazy("signed"),
}


def _require_transition(obj, name):
    _refuse_unless_in(obj, TRANSITIONS[name][0], _ACTION_NAMES[name])


def _move(obj, name, *, actor, reason):
    obj.status = TRANSITIONS[name][1]
    _save(obj, actor=actor, reason=reason)


# --- Management review ---------------------------------------------------------------------


@transaction.atomic
def review_create(*, actor, title, period_start, period_end, meeting_date, chair, attendees=()):
    """Prepare a management review; its inputs are gathered from the period's data at once."""
    require_quality_manager(actor, actor.agency_id, _("prepare a management review"))
    _check_dates(period_start, period_end, _("review period"))
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
    _save(review, actor=actor, reason=_("Management review prepared"))
    review.attendees.set(attendees)
    _gather(review, actor=actor)
    return review


def _gather(review, *, actor):
    review.inputs = review_inputs.gather(
        review.agency, review.period_start, review.period_end, exclude_review=review
    )
    review.inputs_gathered_at = timezone.now()
    _save(review, actor=actor, reason=_("Inputs gathered from the period's data"))


def _lock_review(review_id):
    return ManagementReview.objects.select_for_update().select_related("agency").get(pk=review_id)


def _require_review_draft(review, actor):
    if not (actor.pk == review.chair_id or is_quality_manager_of(actor, review.agency_id)):
        raise PermissionDenied(_("Only the chair or a quality manager can change the review."))
    if review.status != RS.DRAFT:
        raise AuditRuleError(_("The minutes are signed; they can no longer change."))


@transaction.atomic
def review_refresh_inputs(*, review, actor):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
    _gather(review, actor=actor)
    return review


@transaction.atomic
def review_record(*, review, actor, discussion, decisions):
    """The chair records the discussion and the decisions (ISO 9001 9.3.3)."""
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
    review.discussion = (discussion or "").strip()
    review.decisions = (decisions or "").strip()
    _save(review, actor=actor, reason=_("Minutes edited"))
    return review


@transaction.atomic
def review_add_action(*, review, actor, title, owner, due_date, description=""):
    review = _lock_review(review.pk)
    _require_review_draft(review, actor)
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
    _check_password(signer, password)
    review = _lock_review(review.pk)
    if signer.pk != review.chair_id:
        raise PermissionDenied(_("Only the chair of the review signs the minutes."))
    _require_transition(review, "review_sign")
    if not review.decisions.strip():
        raise AuditRuleError(_("Record the decisions before signing the minutes."))
    signature = _record_signature(
        signer=signer, meaning=ReportSignature.Meaning.CHAIR, review=review
    )
    _move(review, "review_sign", actor=signer, reason=_("Minutes signed by the chair"))
    return signature
