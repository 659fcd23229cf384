"""Changes to the organisation: joining departments and sharing departments with certifiers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from .models import Membership
from .roles import Role


@transaction.atomic
def add_member(*, person, department, is_head=False):
    """Put ``person`` in ``department`` (idempotent); returns the membership."""
    if person.agency_id != department.agency_id:
        raise ValidationError(
            _("%(person)s is not part of %(agency)s.")
            % {"person": person, "agency": department.agency}
        )
    membership, created = Membership.objects.get_or_create(
        person=person, department=department, defaults={"is_head": is_head}
    )
    if not created and membership.is_head != is_head:
        membership.is_head = is_head
        membership.save(update_fields=["is_head"])
    return membership


def _require_certifier_sharing_rights(actor, certifier):
    if not (actor.is_quality_manager or actor.is_administrator):
        raise PermissionDenied(_("Only a quality manager can share departments with a certifier."))
    if not certifier.has_role(Role.CERTIFIER):
        raise ValidationError(_("%(person)s is not a certifier.") % {"person": certifier})


@transaction.atomic
def share_department_with_certifier(*, department, certifier, actor):
    """Let an external certifier see a department (an object permission, per department)."""
    _require_certifier_sharing_rights(actor, certifier)
    if actor.agency_id != department.agency_id and not actor.is_superuser:
        raise PermissionDenied(_("You can only share departments of your own agency."))
    assign_perm("organisation.view_department", certifier, department)


@transaction.atomic
def unshare_department_with_certifier(*, department, certifier, actor):
    _require_certifier_sharing_rights(actor, certifier)
    remove_perm("organisation.view_department", certifier, department)
