"""Who may do what with a self-assessment, and loading one assessment, result or indicator.

404 when the person may not see it at all (another agency, an external certifier); 403 when they
may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_quality_manager_of

from .models import AssessmentResult, Indicator, SelfAssessment

# --- Predicates (the machine's ``allowed=``) ----------------------------------------------


def require_quality_manager(person, agency_id, what):
    if not is_quality_manager_of(person, agency_id):
        raise PermissionDenied(_("Only a quality manager can %(what)s.") % {"what": what})


def can_coordinate(person, assessment):
    """The coordinator or a quality manager refreshes the figures and submits."""
    return person.pk == assessment.coordinator_id or is_quality_manager_of(
        person, assessment.agency_id
    )


def can_approve(person, assessment):
    """Only the named approver signs."""
    return person.pk == assessment.approver_id


def can_return(person, assessment):
    return can_approve(person, assessment) or is_quality_manager_of(person, assessment.agency_id)


def can_raise_actions(person, assessment):
    return is_quality_manager_of(person, assessment.agency_id)


def can_assess(person, result):
    """Quality managers, and people of a department responsible for the indicator."""
    if is_quality_manager_of(person, result.assessment.agency_id):
        return True
    if person.agency_id != result.assessment.agency_id:
        return False
    responsible = result.indicator.departments.values_list("pk", flat=True)
    return bool(set(responsible) & set(person.department_ids))


def can_see_assessments(person):
    return person.is_authenticated and (
        person.is_superuser or (person.agency_id is not None and not person.is_certifier)
    )


def require_assessments(person):
    if not can_see_assessments(person):
        raise Http404(_("The self-assessment is internal to the agency."))


# --- Loading -------------------------------------------------------------------------------

#: ``to`` of :func:`get_assessment_for` → the predicate it checks.
_CHECKS = {
    "view": lambda person, assessment: True,
    "coordinate": can_coordinate,
    "approve": can_approve,
    "return": can_return,
    "raise": can_raise_actions,
}


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
    if not _CHECKS[to](person, assessment):
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
    if to == "assess" and not can_assess(person, result):
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
