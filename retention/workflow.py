"""Every change to retention records: rules, legal holds and disposal runs.

Disposal run::

    proposed ──approve (signed, not by the proposer)──► approved ──execute──► completed
        └──withdraw──► withdrawn ◄──withdraw──┘

Executing re-checks every listed record inside ``qms_portal.disposal.authorised_disposal``: a hold
placed or a pack opened after approval still keeps the record; a record protected by others
(a nonconformity raised from a request) is kept with the reason shown in the run.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from qms_portal import sequences
from qms_portal.disposal import authorised_disposal
from qms_portal.errors import RuleError
from qms_portal.signatures import record_signature
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access, due
from .models import (
    DisposalApproval,
    DisposalCandidate,
    DisposalRecord,
    DisposalRun,
    LegalHold,
    RecordType,
    RetentionRule,
)
from .registry import KINDS, erase_personal_data, years_for

ST = DisposalRun.Status
OUTCOME = DisposalCandidate.Outcome


class RetentionRuleError(RuleError):
    """A retention change that breaks a rule; the message says what to do instead."""


MACHINE = StateMachine(
    Transition(
        "approve",
        sources=[ST.PROPOSED],
        target=ST.APPROVED,
        label=pgettext_lazy("step", "approved"),
        allowed=access.can_approve,
        refusal=pgettext_lazy(
            "refusal",
            "A disposal run is approved by a quality manager or top management other than the "
            "person who proposed it.",
        ),
    ),
    Transition(
        "execute",
        sources=[ST.APPROVED],
        target=ST.COMPLETED,
        label=pgettext_lazy("step", "executed"),
        allowed=access.can_execute,
    ),
    Transition(
        "withdraw",
        sources=[ST.PROPOSED, ST.APPROVED],
        target=ST.WITHDRAWN,
        label=pgettext_lazy("step", "withdrawn"),
        allowed=access.can_withdraw,
    ),
    model=DisposalRun,
    tones={ST.PROPOSED: Tone.INFO, ST.APPROVED: Tone.WARN, ST.COMPLETED: Tone.OK},
    describe=lambda run: run.reference,
    error=RetentionRuleError,
)


def available_steps(run, person):
    return MACHINE.available(run, person)


# --- Schedule ------------------------------------------------------------------------------


def seed_default_rules(agency):
    """The portal's default schedule for an agency (a starting point the agency then sets)."""
    for code, kind in KINDS.items():
        if not RetentionRule.objects.filter(agency=agency, record_type=code).exists():
            rule = RetentionRule(
                agency=agency,
                record_type=code,
                years=kind.default_years,
                trigger_event=str(kind.default_trigger),
            )
            save_with_history(rule, actor=None, reason="default retention rule")


@transaction.atomic
def rule_change(*, rule, actor, years, trigger_event):
    access.require_manage(actor)
    rule = RetentionRule.objects.select_for_update(of=("self",)).get(
        pk=rule.pk, agency_id=actor.agency_id
    )
    if not 1 <= years <= 100:
        raise RetentionRuleError(_("Keep records between 1 and 100 years."))
    rule.years, rule.trigger_event = years, trigger_event.strip() or rule.trigger_event
    return save_with_history(rule, actor=actor, reason="retention rule changed")


# --- Legal holds ---------------------------------------------------------------------------


@transaction.atomic
def hold_place(*, actor, record_type, reason, record=""):
    """Hold one record (``record``: its number, reference or id) or, with none, the whole type."""
    access.require_manage(actor)
    reason = (reason or "").strip()
    if not reason:
        raise RetentionRuleError(_("Give the reason for the legal hold."))
    if record_type not in KINDS:
        raise RetentionRuleError(_("Choose a record type."))
    kind = KINDS[record_type]
    hold = LegalHold(
        agency_id=actor.agency_id,
        record_type=record_type,
        reason=reason,
        placed_by=actor,
        placed_at=timezone.now(),
    )
    record = (record or "").strip()
    if record:
        found = kind.records(actor.agency).filter(kind.lookup(record)).first()
        if found is None:
            raise RetentionRuleError(
                _("No %(type)s record %(record)s in your agency; check the number.")
                % {"type": kind.label.lower(), "record": record}
            )
        hold.object_id = found.pk
        hold.object_label = " · ".join(part for part in kind.describe(found) if part)
    return save_with_history(hold, actor=actor, reason="legal hold placed")


@transaction.atomic
def hold_release(*, hold, actor, reason):
    access.require_manage(actor)
    hold = LegalHold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
    if not hold.is_in_force:
        raise RetentionRuleError(_("This legal hold was released already."))
    reason = (reason or "").strip()
    if not reason:
        raise RetentionRuleError(_("Give the reason the hold is released."))
    hold.released_by, hold.released_at, hold.release_reason = actor, timezone.now(), reason
    return save_with_history(hold, actor=actor, reason="legal hold released")


# --- Disposal runs -------------------------------------------------------------------------


@transaction.atomic
def run_propose(*, actor, record_types=None):
    """List every record now due (past retention, not held, not in an open pack) in a new run."""
    access.require_manage(actor)
    agency = actor.agency
    record_types = [code for code in RecordType.values if code in (record_types or KINDS)]
    if not record_types:
        raise RetentionRuleError(_("Choose at least one record type."))
    today = timezone.localdate()
    found = []
    for code in record_types:
        records, rule = due.due_records(agency, code, today=today)
        kind = KINDS[code]
        for record in records.order_by("pk"):
            reference, title = kind.describe(record)
            found.append(
                DisposalCandidate(
                    record_type=code,
                    object_id=record.pk,
                    reference=reference[:120],
                    title=(title or "")[:300],
                    trigger_date=timezone.localtime(record.retention_trigger).date(),
                    rule_years=years_for(kind, record, rule),
                )
            )
    if not found:
        raise RetentionRuleError(_("No record is due for disposal now; nothing was proposed."))
    run = DisposalRun(
        agency=agency,
        reference=sequences.next_reference(DisposalRun, agency, "DR", today.year),
        record_types=record_types,
        due_on=today,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    save_with_history(run, actor=actor, reason="disposal proposed")
    for candidate in found:
        candidate.run = run
        save_with_history(candidate, actor=actor, reason="listed as due")
    return run


def _locked(run):
    return DisposalRun.objects.select_for_update(of=("self",)).get(pk=run.pk)


@transaction.atomic
def run_approve(*, run, actor, password):
    """Approve with an electronic signature (password re-entered) bound to the run's list."""
    run = _locked(run)
    MACHINE.require(run, "approve", actor)
    signature = record_signature(
        DisposalApproval,
        signer=actor,
        meaning=DisposalApproval.Meaning.APPROVED,
        duplicate=_("This run is approved already."),
        error=RetentionRuleError,
        password=password,
        wrong_password=_("The password is not correct; the run was not approved."),
        run=run,
        run_fingerprint=run.fingerprint(),
    )
    MACHINE.move(
        run,
        "approve",
        actor=actor,
        reason="disposal approved",
        approved_by=actor,
        approved_at=signature.signed_at,
    )
    return run


@transaction.atomic
def run_withdraw(*, run, actor):
    run = _locked(run)
    MACHINE.require(run, "withdraw", actor)
    return MACHINE.move(run, "withdraw", actor=actor, reason="disposal withdrawn")


@transaction.atomic
def run_execute(*, run, actor):
    """Dispose of each listed record still due and free, leave a disposal record for each, and
    say for each one kept why it was kept."""
    run = _locked(run)
    MACHINE.require(run, "execute", actor)
    now = timezone.now()
    with authorised_disposal(run):
        for candidate in run.candidates.filter(outcome=OUTCOME.PENDING).order_by("pk"):
            _dispose(run, candidate, actor=actor, now=now)
    return MACHINE.move(
        run, "execute", actor=actor, reason="disposal executed", executed_by=actor, executed_at=now
    )


def _still_free(run, candidate):
    """The record, re-read now; or the reason it is kept."""
    kind = KINDS[candidate.record_type]
    record = kind.records(run.agency).filter(pk=candidate.object_id).first()
    if record is None:
        return None, _("The record no longer exists.")
    past = kind.records(run.agency).filter(pk=candidate.object_id)
    if past.filter(due.held(kind, run.agency)).exists():
        return None, _("Under a legal hold.")
    if past.filter(due.covered_by_open_packs(kind, run.agency)).exists():
        return None, _("Covered by an evidence pack that is still open.")
    records, _rule = due.due_records(run.agency, candidate.record_type, today=run.due_on)
    if not records.filter(pk=candidate.object_id).exists():
        return None, _("No longer due under the current retention rule.")
    return record, ""


def _dispose(run, candidate, *, actor, now):
    kind = KINDS[candidate.record_type]
    record, reason = _still_free(run, candidate)
    if record is not None:
        try:
            with transaction.atomic():
                if kind.deletes:
                    kind.dispose(record)
                else:
                    erase_personal_data(record, actor=actor)
        except (ProtectedError, RestrictedError) as error:
            names = sorted({str(obj) for obj in error.protected_objects if obj is not None})[:3]
            reason = _("Other records still refer to it: %(records)s.") % {
                "records": ", ".join(names)
            }
        except PermissionDenied as error:  # pragma: no cover - a guard of another app
            reason = str(error)
    if reason:
        candidate.outcome, candidate.skip_reason = OUTCOME.SKIPPED, reason[:500]
        save_with_history(candidate, actor=actor, reason="kept at execution")
        return
    rule = due.rule_for(run.agency, candidate.record_type)
    save_with_history(
        DisposalRecord(
            agency=run.agency,
            run=run,
            record_type=candidate.record_type,
            object_id=candidate.object_id,
            reference=candidate.reference,
            title=candidate.title,
            action=kind.action,
            rule=rule,
            rule_years=candidate.rule_years,
            trigger_event=rule.trigger_event,
            trigger_date=candidate.trigger_date,
            disposed_at=now,
            approved_by=run.approved_by,
            executed_by=actor,
        ),
        actor=actor,
        reason="disposed of",
    )
    candidate.outcome = OUTCOME.DISPOSED
    save_with_history(candidate, actor=actor, reason="disposed of")
