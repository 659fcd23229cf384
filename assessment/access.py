"""Loading one self-assessment, result or indicator for a person, with the lists' own rule.

404 when the person may not see it at all (another agency, an external certifier); 403 when they
may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from audits.auditing.workflow import is_quality_manager_of

from . import workflow
from .models import AssessmentResult, Indicator, SelfAssessment


def can_see_assessments(person):
    return person.is_authenticated and (
        person.is_superuser or (person.agency_id is not None and not person.is_certifier)
    )


def require_assessments(person):
    if not can_see_assessments(person):
        raise Http404(_("The self-assessment is internal to the agency."))


def get_assessment_for(person, pk, *, to="view"):
    """``to``: view, coordinate (submit, refresh), approve, return, raise (improvement actions)."""
    assessment = (
        SelfAssessment.objects.visible_to(person)
        .select_related("agency", "coordinator", "approver")
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404(_("No such self-assessment."))
    allowed = {
        "view": True,
        "coordinate": workflow.can_coordinate(person, assessment),
        "approve": person.pk == assessment.approver_id,
        "return": person.pk == assessment.approver_id
        or is_quality_manager_of(person, assessment.agency_id),
        "raise": is_quality_manager_of(person, assessment.agency_id),
    }
    if not allowed[to]:
        raise PermissionDenied(_("You cannot do this with the self-assessment."))
    return assessment


def get_result_for(person, pk, *, to="view"):
    result = (
        AssessmentResult.objects.filter(pk=pk)
        .select_related("indicator", "assessment", "assessor")
        .first()
    )
    if result is None:
        raise Http404(_("No such indicator result."))
    result.assessment = get_assessment_for(person, result.assessment_id)
    if to == "assess" and not workflow.can_assess(person, result):
        raise PermissionDenied(
            _("Only a quality manager or a responsible department can assess %(code)s.")
            % {"code": result.indicator.code}
        )
    return result


def get_indicator_for(person, pk, *, to="view"):
    indicator = Indicator.objects.visible_to(person).filter(pk=pk).first()
    if indicator is None:
        raise Http404(_("No such indicator."))
    if to == "edit" and not is_quality_manager_of(person, indicator.agency_id):
        raise PermissionDenied(_("Only a quality manager can edit the indicator catalogue."))
    return indicator
