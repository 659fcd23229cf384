"""Every change to a self-assessment, its results, the indicator catalogue and publication.

Self-assessment (ISO 18091 style diagnostic)::

    draft ──submit──► under review ──approve (approver signs)──► approved
      ▲                    │
      └──────return (reason)┘

Each function locks the rows it changes (``select_for_update`` inside ``transaction.atomic``),
checks who may act, records history with a stable reason and raises
:class:`AssessmentRuleError` with a message the person can act on. The public page's cache is cleared after commit.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from audits.capa.models import Action
from audits.capa.workflow import _action_create
from qms_portal.errors import RuleError
from qms_portal.history_reasons import reason as history_reason
from qms_portal.organisation.roles import heads_of
from qms_portal.signatures import record_signature
from qms_portal.statemachine import StateMachine, Tone, Transition, save_with_history

from . import access, proposals, transparency
from .access import can_assess, can_coordinate, require_quality_manager  # noqa: F401
from .catalogue import load_catalogue
from .models import (
    AssessmentResult,
    AssessmentSignature,
    Indicator,
    Level,
    SelfAssessment,
    TransparencySettings,
)

ST = SelfAssessment.Status


class AssessmentRuleError(RuleError):
    """A change to a self-assessment that breaks a rule (the refusal pages answer 400)."""

    status_code = 400


def _describe(assessment):
    return _("The %(year)s self-assessment") % {"year": assessment.year}


#: The assessment's steps; ``refresh`` and ``raise_actions`` keep the state.
MACHINE = StateMachine(
    Transition(
        "refresh",
        sources=[ST.DRAFT],
        target=None,
        label=pgettext_lazy("step", "refreshed with portal figures"),
        allowed=access.can_coordinate,
        refusal=gettext_lazy("Only the coordinator or a quality manager can do this."),
    ),
    Transition(
        "submit",
        sources=[ST.DRAFT],
        target=ST.UNDER_REVIEW,
        label=pgettext_lazy("step", "submitted for approval"),
        allowed=access.can_coordinate,
        refusal=gettext_lazy("Only the coordinator or a quality manager can submit."),
    ),
    Transition(
        "approve",
        sources=[ST.UNDER_REVIEW],
        target=ST.APPROVED,
        label=pgettext_lazy("step", "approved"),
        allowed=access.can_approve,
        refusal=gettext_lazy("Only the named approver signs the self-assessment."),
    ),
    Transition(
        "return",
        sources=[ST.UNDER_REVIEW],
        target=ST.DRAFT,
        label=pgettext_lazy("step", "returned to draft"),
        allowed=access.can_return,
        refusal=gettext_lazy("Only the approver or a quality manager can return it."),
    ),
    Transition(
        "raise_actions",
        sources=[ST.APPROVED],
        target=None,
        label=pgettext_lazy("step", "given improvement actions"),
        allowed=access.can_raise_actions,
    ),
    model=SelfAssessment,
    tones={ST.UNDER_REVIEW: Tone.WARN, ST.APPROVED: Tone.OK},
    describe=_describe,
    error=AssessmentRuleError,
)

# History reasons: stable English, translated when shown (``|history_reason``).
INDICATOR_EDITED = gettext_noop("Indicator edited")
PAGE_CHANGED = gettext_noop("Public page settings changed")
STARTED = gettext_noop("Self-assessment started")
INDICATOR_ADDED = gettext_noop("Indicator added to the assessment")
REFRESHED = gettext_noop("Portal figures refreshed")
PROPOSAL_REFRESHED = gettext_noop("Proposal refreshed")
LEVEL_OVERRIDDEN = gettext_noop("Level overridden")
LEVEL_RECORDED = gettext_noop("Level recorded")
SUBMITTED = gettext_noop("Submitted for approval")
RETURNED = gettext_noop("Returned")
SIGNED = gettext_noop("Self-assessment approved")
APPROVED = gettext_noop("Approved and signed")
ACTION_RAISED = gettext_noop("Improvement action raised")

#: Days given to the owner of an improvement action raised from a red indicator.
IMPROVEMENT_DAYS = 90


def available_steps(assessment, person):
    """The steps ``person`` may take on the assessment page now (``raise_actions`` only while a
    red indicator)."""
    steps = MACHINE.available(assessment, person)
    if "raise_actions" in steps and not assessment.results.filter(level=Level.RED).exists():
        steps.remove("raise_actions")
    return steps


def _lock(assessment_id):
    return SelfAssessment.objects.select_for_update(of=("self",)).get(pk=assessment_id)


def _clear_public_cache(agency_id):
    transaction.on_commit(lambda: transparency.invalidate(agency_id))


# --- Catalogue and publication -------------------------------------------------------------


@transaction.atomic
def indicator_update(*, indicator, actor, departments, **fields):
    """A quality manager edits an indicator: names, descriptions, departments, thresholds."""
    indicator = Indicator.objects.select_for_update(of=("self",)).get(pk=indicator.pk)
    require_quality_manager(actor, indicator.agency_id, _("edit the indicator catalogue"))
    if any(d.agency_id != indicator.agency_id for d in departments):
        raise AssessmentRuleError(_("Choose departments of your own agency."))
    for name, value in fields.items():
        setattr(indicator, name, value)
    if indicator.data_source and None in (indicator.green_threshold, indicator.red_threshold):
        raise AssessmentRuleError(_("An indicator with portal data needs both thresholds."))
    save_with_history(indicator, actor=actor, reason=INDICATOR_EDITED)
    indicator.departments.set(departments)
    return indicator


@transaction.atomic
def transparency_update(*, agency, actor, publish_self_assessment, statement_zh, statement_en):
    """A quality manager decides what the public page shows beyond what is public already."""
    require_quality_manager(actor, agency.pk, _("change the public page"))
    page, _created = TransparencySettings.objects.select_for_update(of=("self",)).get_or_create(
        agency=agency
    )
    page.publish_self_assessment = bool(publish_self_assessment)
    page.policy_statement_zh = (statement_zh or "").strip()
    page.policy_statement_en = (statement_en or "").strip()
    save_with_history(page, actor=actor, reason=PAGE_CHANGED)
    _clear_public_cache(agency.pk)
    return page


# --- The assessment ------------------------------------------------------------------------


def _proposals_into(assessment, results):
    for result in results:
        result.proposed_level, result.figure = proposals.propose(
            result.indicator, assessment.figures
        )


@transaction.atomic
def assessment_create(*, actor, agency, year, approver):
    """Start the year's self-assessment: one result per active indicator, with proposals."""
    require_quality_manager(actor, agency.pk, _("start a self-assessment"))
    if approver.agency_id != agency.pk or not approver.is_active:
        raise AssessmentRuleError(_("Choose an approver of your own agency."))
    if not 2000 <= int(year) <= timezone.localdate().year + 1:
        raise AssessmentRuleError(_("Choose a year between 2000 and next year."))
    if SelfAssessment.objects.filter(agency=agency, year=year).exists():
        raise AssessmentRuleError(
            _("The %(year)s self-assessment exists already; open it instead.") % {"year": year}
        )
    if not Indicator.objects.filter(agency=agency).exists():
        load_catalogue(agency.pk)
    assessment = SelfAssessment(
        agency=agency,
        year=year,
        coordinator=actor,
        approver=approver,
        figures=proposals.gather_figures(agency, int(year)),
        figures_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            save_with_history(assessment, actor=actor, reason=STARTED)
    except IntegrityError as error:
        raise AssessmentRuleError(
            _("The %(year)s self-assessment exists already.") % {"year": year}
        ) from error
    indicators = Indicator.objects.filter(agency=agency).active().order_by("position", "code")
    results = [AssessmentResult(assessment=assessment, indicator=i) for i in indicators]
    _proposals_into(assessment, results)
    for result in results:
        save_with_history(result, actor=actor, reason=INDICATOR_ADDED)
    return assessment


@transaction.atomic
def assessment_refresh(*, assessment, actor):
    """Read the portal figures again and update the proposals (levels already set stay)."""
    assessment = _lock(assessment.pk)
    MACHINE.require(assessment, "refresh", actor)
    MACHINE.move(
        assessment,
        "refresh",
        actor=actor,
        reason=REFRESHED,
        figures=proposals.gather_figures(assessment.agency, assessment.year),
        figures_at=timezone.now(),
    )
    results = list(assessment.results.select_related("indicator"))
    _proposals_into(assessment, results)
    for result in results:
        save_with_history(result, actor=actor, reason=PROPOSAL_REFRESHED)
    return assessment


def _check_evidence(agency_id, documents, measurements, findings, services):
    wrong = (
        [d for d in documents if d.agency_id != agency_id]
        + [m for m in measurements if m.kpi.process.agency_id != agency_id]
        + [f for f in findings if f.agency_id != agency_id]
        + [s for s in services if s.agency_id != agency_id]
    )
    if wrong:
        raise AssessmentRuleError(_("Evidence must be records of your own agency."))


@transaction.atomic
def result_record(
    *,
    result,
    actor,
    level,
    reasons,
    override_reason="",
    documents=(),
    measurements=(),
    findings=(),
    services=(),
):
    """Record an indicator's level with reasons and evidence; differing from the proposal needs a
    reason of its own."""
    assessment = _lock(result.assessment_id)
    result = (
        AssessmentResult.objects.select_for_update(of=("self",))
        .select_related("indicator")
        .get(pk=result.pk)
    )
    result.assessment = assessment
    if not can_assess(actor, result):
        raise PermissionDenied(
            _("Only a quality manager or a responsible department can assess %(code)s.")
            % {"code": result.indicator.code}
        )
    if not assessment.accepts_levels:
        raise AssessmentRuleError(_("Levels are recorded while the assessment is a draft."))
    if level not in Level.values:
        raise AssessmentRuleError(_("Choose a level: red, yellow or green."))
    reasons, override_reason = (reasons or "").strip(), (override_reason or "").strip()
    if not reasons:
        raise AssessmentRuleError(_("Give the reasons for the level, so a reader can check it."))
    if result.proposed_level and level != result.proposed_level and not override_reason:
        raise AssessmentRuleError(
            _("The portal figures propose %(proposed)s; say why you chose %(level)s instead.")
            % {
                "proposed": Level(result.proposed_level).label,
                "level": Level(level).label,
            }
        )
    _check_evidence(assessment.agency_id, documents, measurements, findings, services)
    result.level, result.reasons = level, reasons
    result.override_reason = override_reason if level != result.proposed_level else ""
    result.assessor, result.assessed_at = actor, timezone.now()
    reason = LEVEL_OVERRIDDEN if result.is_override else LEVEL_RECORDED
    save_with_history(result, actor=actor, reason=reason)
    result.evidence_documents.set(documents)
    result.evidence_measurements.set(measurements)
    result.evidence_findings.set(findings)
    result.evidence_services.set(services)
    return result


@transaction.atomic
def assessment_submit(*, assessment, actor):
    """The coordinator sends the completed assessment to the approver."""
    assessment = _lock(assessment.pk)
    MACHINE.require(assessment, "submit", actor)
    missing = list(
        assessment.results.filter(level="").values_list("indicator__code", flat=True)[:10]
    )
    if missing:
        raise AssessmentRuleError(
            _("Assess every indicator before submitting; still open: %(codes)s.")
            % {"codes": ", ".join(missing)}
        )
    MACHINE.move(assessment, "submit", actor=actor, reason=SUBMITTED)
    from qms_portal.organisation.notifications import notify

    notify(
        recipient=assessment.approver,
        key=f"assessment:{assessment.pk}:submitted:{timezone.now().isoformat()}",
        subject=_("Self-assessment %(year)s to approve") % {"year": assessment.year},
        url=assessment.get_absolute_url(),
        actor=actor,
    )
    return assessment


@transaction.atomic
def assessment_return(*, assessment, actor, reason):
    """The approver (or a quality manager) sends it back to draft, saying why."""
    assessment = _lock(assessment.pk)
    MACHINE.require(assessment, "return", actor)
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentRuleError(_("Say what must change before it can be approved."))
    MACHINE.move(assessment, "return", actor=actor, reason=history_reason(RETURNED, reason[:200]))
    return assessment


@transaction.atomic
def assessment_approve(*, assessment, signer, password):
    """The named approver signs: password re-entered, printed name and meaning, bound to a hash."""
    assessment = _lock(assessment.pk)
    MACHINE.require(assessment, "approve", signer)
    signature = record_signature(
        AssessmentSignature,
        signer=signer,
        meaning=AssessmentSignature.Meaning.APPROVED,
        duplicate=_("This assessment is signed already."),
        error=AssessmentRuleError,
        password=password,
        reason=SIGNED,
        assessment=assessment,
        fingerprint=assessment.fingerprint(),
    )
    MACHINE.move(
        assessment, "approve", actor=signer, reason=APPROVED, approved_at=signature.signed_at
    )
    _clear_public_cache(assessment.agency_id)
    return signature


def _improvement_owner(result, fallback):
    """The head of the indicator's first responsible department (by code) that has one."""
    departments = sorted(result.indicator.departments.all(), key=lambda department: department.code)
    heads = heads_of([department.pk for department in departments])
    for department in departments:
        if heads[department.pk]:
            return heads[department.pk][0], department
    return fallback, None


@transaction.atomic
def assessment_raise_actions(*, assessment, actor, due_date=None):
    """One step: every red indicator of an approved assessment becomes an improvement action,
    owned by the head of its first responsible department. Running it again adds none twice."""
    assessment = _lock(assessment.pk)
    require_quality_manager(actor, assessment.agency_id, _("raise improvement actions"))
    if not MACHINE.state_allows(assessment, "raise_actions"):
        raise AssessmentRuleError(_("Improvement actions are raised from an approved assessment."))
    due_date = due_date or timezone.localdate() + timedelta(days=IMPROVEMENT_DAYS)
    if not assessment.results.filter(level=Level.RED).exists():
        raise AssessmentRuleError(
            _("No indicator is red, so there is no improvement action to raise.")
        )
    red = (
        assessment.results.select_for_update(of=("self",))
        .filter(level=Level.RED, action__isnull=True)
        .select_related("indicator")
    )
    created = []
    for result in red:
        owner, department = _improvement_owner(result, actor)
        action = _action_create(
            actor=actor,
            agency_id=assessment.agency_id,
            kind=Action.Kind.IMPROVEMENT,
            title=_("Improve %(code)s %(name)s")
            % {
                "code": result.indicator.code,
                "name": result.indicator.name,
            },
            description=result.reasons,
            owner=owner,
            due_date=due_date,
            department=department,
            source_label=f"{assessment} · {result.indicator.code}",
        )
        result.action = action
        save_with_history(result, actor=actor, reason=ACTION_RAISED)
        created.append(action)
    return created
