"""Loading one nonconformity or action for a person, with the lists' own rule.

404 when the person may not see it at all; 403 when they may see it but not do what they ask.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import workflow
from .models import Action, Nonconformity


def get_nc_for(person, pk, *, to="view"):
    nc = (
        Nonconformity.objects.visible_to(person)
        .select_related("owner", "raised_by", "department", "process", "clause", "audit", "kpi")
        .filter(pk=pk)
        .first()
    )
    if nc is None:
        raise Http404(_("No such nonconformity."))
    if to == "work" and not workflow.can_work_on_nc(person, nc):
        raise PermissionDenied(
            _("Only %(owner)s (responsible) or a quality manager can change %(ref)s.")
            % {"owner": nc.owner.display_name, "ref": nc.reference}
        )
    return nc


def get_action_for(person, pk, *, to="view"):
    action = (
        Action.objects.visible_to(person)
        .select_related("owner", "nonconformity", "review", "risk__process", "department")
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404(pgettext("corrective action", "No such action."))
    return action
