"""The portal's roles. Each role is a Django group of the same name, created by a migration."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "Department staff", _("Department staff")
    QUALITY_MANAGER = "Quality manager", _("Quality manager")
    AUDITOR = "Auditor", _("Auditor")
    CERTIFIER = "Certifier", _("Certifier")
    ADMINISTRATOR = "Administrator", _("Administrator")


#: Roles held by the agency's own people (a certifier is external).
INTERNAL_ROLES = frozenset({Role.STAFF, Role.QUALITY_MANAGER, Role.AUDITOR, Role.ADMINISTRATOR})


# --- Role rules: the one definition of each, used by every app's access.py and workflows --------


def sees_whole_agency(person):
    """Quality managers, auditors and administrators read every record of their own agency."""
    return bool(person.is_quality_manager or person.is_auditor or person.is_administrator)


def is_quality_manager_of(person, agency_id):
    """A quality manager of the agency (or a superuser, who acts for every agency)."""
    if not person.is_authenticated or not person.is_active:
        return False
    return person.is_superuser or (
        person.is_quality_manager and person.agency_id == getattr(agency_id, "pk", agency_id)
    )


def is_administrator_of(person, agency_id):
    """An administrator of the agency (or a superuser)."""
    if not person.is_authenticated or not person.is_active:
        return False
    return person.is_superuser or (
        person.is_administrator and person.agency_id == getattr(agency_id, "pk", agency_id)
    )


def quality_managers_of(agency_id):
    """The agency's active quality managers, as a queryset (notification recipients)."""
    from .models import Person

    return Person.objects.with_role(Role.QUALITY_MANAGER).filter(
        agency_id=getattr(agency_id, "pk", agency_id), is_active=True
    )


def heads_of(department_ids):
    """{department id: [active heads]} for each department; a section without a head of its own
    falls back to the heads of the department it belongs to."""
    from .models import Department, Membership

    departments = dict(
        Department.objects.filter(pk__in=set(department_ids)).values_list("pk", "parent_id")
    )
    wanted = set(departments) | {parent for parent in departments.values() if parent}
    heads = {}
    for membership in Membership.objects.filter(
        is_head=True, department_id__in=wanted, person__is_active=True
    ).select_related("person"):
        heads.setdefault(membership.department_id, []).append(membership.person)
    return {pk: heads.get(pk) or heads.get(parent, []) for pk, parent in departments.items()}


def is_head_of(person, department):
    """The person heads the department, or the department a section belongs to."""
    from .models import Membership

    wanted = {department.pk, department.parent_id} - {None}
    return Membership.objects.filter(person=person, is_head=True, department_id__in=wanted).exists()
