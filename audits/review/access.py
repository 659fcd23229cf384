"""Loading one management review for a person, with the list's own rule (404 when unseen)."""

from django.http import Http404
from django.utils.translation import gettext as _

from .models import ManagementReview


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
