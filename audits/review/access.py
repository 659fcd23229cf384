"""Who may do what with a management review (the predicates of ``workflow.REVIEW_MACHINE``), and
loading one review for a person with the list's own rule (404 when unseen)."""

from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_quality_manager_of

from .models import ManagementReview


def can_edit_review(person, review):
    """The chair and the agency's quality managers prepare the minutes, its inputs and actions."""
    return person.pk == review.chair_id or is_quality_manager_of(person, review.agency_id)


def is_chair(person, review):
    """Only the chair signs the minutes (ISO 9001 9.3: top management reviews the QMS)."""
    return person.pk == review.chair_id


def get_review_for(person, pk, *, to="view"):
    review = (
        ManagementReview.objects.visible_to(person)
        .select_related("chair", "agency")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404(_("No such management review."))
    return review
