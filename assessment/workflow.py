"""Every change to a self-assessment, its results, the indicator catalogue and publication.

Self-assessment (ISO 18091 style diagnostic)::

    draft ──submit──► under review ──approve (approver signs)──► approved
      ▲                    │
      └──────return (reason)┘

Each function locks the rows it changes (``select_for_update`` inside ``transaction.atomic``),
checks who may act, records history with a reason and raises :class:`AuditRuleError` with a
message the person can act on. The public page's cache is cleared after commit.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.auditing.workflow import AuditRuleError, is_quality_manager_of, require_quality_manager
from audits.capa.models import Action
from audits.capa.workflow import _action_create
from qms_portal.organisation.models import Membership
from qms_portal.organisation.signing import confirm_signature_password

from . import proposals, transparency
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

#: Allowed transitions: name → (from states, to state).
TRANSITIONS = {
    "assessment_submit": ((ST.DRAFT,), ST.UNDER_REVIEW),
    "assessment_return": ((ST.UNDER_REVIEW,), ST.DRAFT),
    "assessment_approve": ((ST.UNDER_REVIEW,), ST.APPROVED),
}

#: Days given to the owner of an improvement action raised from a red indicator.
IMPROVEMENT_DAYS = 90


def _save(instance, *, actor, reason):
    instance._history_user = actor
    instance._change_reason = reason
    instance.save()


def _require(assessment, name):
    allowed_from, _target = TRANSITIONS[name]
    if assessment.status not in allowed_from:
        raise AuditRuleError(
            _("The %(year)s self-assessment is %(status)s; that step is not possible now.")
            % {"year": assessment.year, "status": assessment.get_status_display().lower()}
        )


def _move(assessment, name, *, actor, reason):
    assessment.status = TRANSITIONS[name][1]
    _save(assessment, actor=actor, reason=reason)


def _lock(assessment_id):
    return SelfAssessment.objects.select_for_update().get(pk=assessment_id)


def _clear_public_cache(agency_id):
    transaction.on_commit(lambda: transparency.invalidate(agency_id))


# --- Who may act ---------------------------------------------------------------------------


def can_assess(person, result):
    """Quality managers, and people of a department responsible for the indicator."""
    if is_quality_manager_of(person, result.assessment.agency_id):
        return True
    if person.agency_id != result.assessment.agency_id:
        return False
    responsible = result.indicator.departments.values_list("pk", flat=True)
    return bool(set(responsible) & set(person.department_ids))


def can_coordinate(person, assessment):
    return person.pk == assessment.coordinator_id or is_quality_manager_of(
        person, assessment.agency_id
    )


# --- Catalogue and publication -------------------------------------------------------------


@transaction.atomic
def indicator_update(*, indicator, actor, departments, **fields):
    """A quality manager edits an indicator: names, descriptions, departments, thresholds."""
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    require_quality_manager(actor, indicator.agency_id, _("edit the indicator catalogue"))
    if any(d.agency_id != indicator.agency_id for d in departments):
        raise AuditRuleError(_("Choose departments of your own agency."))
    for name, value in fields.items():
        setattr(indicator, name, value)
    if indicator.data_source and None in (indicator.green_threshold, indicator.red_threshold):
        raise AuditRuleError(_("An indicator with portal data needs both thresholds."))
    _save(indicator, actor=actor, reason=_("Indicator edited"))
    indicator.departments.set(departments)
    return indicator


@transaction.atomic
def transparency_update(*, agency, actor, publish_self_assessment, statement_zh, statement_en):
    """A quality manager decides what the public page shows beyond what is public already."""
    require_quality_manager(actor, agency.pk, _("change the public page"))
    page, _created = TransparencySettings.objects.select_for_update().get_or_create(agency=agency)
    page.publish_self_assessment = bool(publish_self_assessment)
    page.policy_statement_zh = (statement_zh or "").strip()
    page.policy_statement_en = (statement_en or "").strip()
    _save(page, actor=actor, reason=_("Public page settings changed"))
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
        raise AuditRuleError(_("Choose an approver of your own agency."))
    if not 2000 <= int(year) <= timezone.localdate().year + 1:
        raise AuditRuleError(_("Choose a year between 2000 and next year."))
    if SelfAssessment.objects.filter(agency=agency, year=year).exists():
        raise AuditRuleError(
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
            _save(assessment, actor=actor, reason=_("Self-assessment started"))
    except IntegrityError as error:
        raise AuditRuleError(
            _("The %(year)s self-assessment exists already.") % {"year": year}
        ) from error
    indicators = Indicator.objects.filter(agency=agency).active().order_by("position", "code")
    results = [AssessmentResult(assessment=assessment, indicator=i) for i in indicators]
    _proposals_into(assessment, results)
    for result in results:
        _save(result, actor=actor, reason=_("Indicator added to the assessment"))
    return assessment


@transaction.atomic
def assessment_refresh(*, assessment, actor):
    """Read the portal figures again and update the proposals (levels already set stay)."""
    assessment = _lock(assessment.pk)
    if not can_coordinate(actor, assessment):
        raise PermissionDenied(_("Only the coordinator or a quality manager can do this."))
    if assessment.status != ST.DRAFT:
        raise AuditRuleError(_("Figures are refreshed while the assessment is a draft."))
    assessment.figures = proposals.gather_figures(assessment.agency, assessment.year)
    assessment.figures_at = timezone.now()
    _save(assessment, actor=actor, reason=_("Portal figures refreshed"))
    results = list(assessment.results.select_related("indicator"))
    _proposals_into(assessment, results)
    for result in results:
        _save(result, actor=actor, reason=_("Proposal refreshed"))
    return assessment


def _check_evidence(agency_id, documents, measurements, findings, services):
    wrong = (
        [d for d in documents if d.agency_id != agency_id]
        + [m for m in measurements if m.kpi.process.agency_id != agency_id]
        + [f for f in findings if f.agency_id != agency_id]
        + [s for s in services if s.agency_id != agency_id]
    )
    if wrong:
        raise AuditRuleError(_("Evidence must be records of your own agency."))


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
        AssessmentResult.objects.select_for_update().select_related("indicator").get(pk=result.pk)
    )
    result.assessment = assessment
    if not can_assess(actor, result):
        raise PermissionDenied(
            _("Only a quality manager or a responsible department can assess %(code)s.")
            % {"code": result.indicator.code}
        )
    if assessment.status != ST.DRAFT:
        raise AuditRuleError(_("Levels are recorded while the assessment is a draft."))
    if level not in Level.values:
        raise AuditRuleError(_("Choose a level: red, yellow or green."))
    reasons, override_reason = (reasons or "").strip(), (override_reason or "").strip()
    if not reasons:
        raise AuditRuleError(_("Give the reasons for the level, so a reader can check it."))
    if result.proposed_level and level != result.proposed_level and not override_reason:
        raise AuditRuleError(
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
    reason = _("Level overridden") if result.is_override else _("Level recorded")
    _save(result, actor=actor, reason=reason)
    result.evidence_documents.set(documents)
    result.evidence_measurements.set(measurements)
    result.evidence_findings.set(findings)
    result.evidence_services.set(services)
    return result


@transaction.atomic
def assessment_submit(*, assessment, actor):
    """The coordinator sends the completed assessment to the approver."""
    assessment = _lock(assessment.pk)
    if not can_coordinate(actor, assessment):
        raise PermissionDenied(_("Only the coordinator or a quality manager can submit."))
    _require(assessment, "assessment_submit")
    missing = list(
        assessment.results.filter(level="").values_list("indicator__code", flat=True)[:10]
    )
    if missing:
        raise AuditRuleError(
            _("Assess every indicator before submitting; still open: %(codes)s.")
            % {"codes": ", ".join(missing)}
        )
    _move(assessment, "assessment_submit", actor=actor, reason=_("Submitted for approval"))
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
    if not (
        actor.pk == assessment.approver_id or is_quality_manager_of(actor, assessment.agency_id)
    ):
        raise PermissionDenied(_("Only the approver or a quality manager can return it."))
    _require(assessment, "assessment_return")
    reason = (reason or "").strip()
    if not reason:
        raise AuditRuleError(_("Say what must change before it can be approved."))
    _move(
        assessment,
        "assessment_return",
        actor=actor,
        reason=_("Returned: %(reason)s") % {"reason": reason[:200]},
    )
    return assessment


@transaction.atomic
def assessment_approve(*, assessment, signer, password):
    """The named approver signs: password re-entered, printed name and meaning, bound to a hash."""
    confirm_signature_password(
        signer,
        password,
        error=AuditRuleError,
        wrong_password_message=_("The password is not correct; nothing was signed."),
    )
    assessment = _lock(assessment.pk)
    if signer.pk != assessment.approver_id:
        raise PermissionDenied(_("Only the named approver signs the self-assessment."))
    _require(assessment, "assessment_approve")
    signature = AssessmentSignature(
        assessment=assessment,
        signer=signer,
        printed_name=signer.get_full_name() or signer.username,
        meaning=AssessmentSignature.Meaning.APPROVED,
        signed_at=timezone.now(),
        fingerprint=assessment.fingerprint(),
    )
    signature.digest = signature.compute_digest()
    try:
        with transaction.atomic():
            _save(signature, actor=signer, reason=_("Self-assessment approved"))
    except IntegrityError as error:
        raise AuditRuleError(_("This assessment is signed already.")) from error
    assessment.approved_at = signature.signed_at
    _move(assessment, "assessment_approve", actor=signer, reason=_("Approved and signed"))
    _clear_public_cache(assessment.agency_id)
    return signature


def _improvement_owner(result, fallback):
    head = (
        Membership.objects.filter(
            department__in=result.indicator.departments.all(),
            is_head=True,
            person__is_active=True,
        )
        .select_related("person", "department")
        .order_by("department__code")
        .first()
    )
    return (head.person, head.department) if head else (fallback, None)


@transaction.atomic
def assessment_raise_actions(*, assessment, actor, due_date=None):
    """One step: every red indicator of an approved assessment becomes an improvement action,
    owned by the head of its first responsible department. Running it again adds none twice."""
    assessment = _lock(assessment.pk)
    require_quality_manager(actor, assessment.agency_id, _("raise improvement actions"))
    if assessment.status != ST.APPROVED:
        raise AuditRuleError(_("Improvement actions are raised from an approved assessment."))
    due_date = due_date or timezone.localdate() + timedelta(days=IMPROVEMENT_DAYS)
    red = (
        assessment.results.select_for_update()
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
        _save(result, actor=actor, reason=_("Improvement action raised"))
        created.append(action)
    return created
