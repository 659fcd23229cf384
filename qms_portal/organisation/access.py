"""Loading one organisation object for a person, with the same rule the lists use."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Department, Person
from .roles import is_head_of


def get_department_for(person, pk, *, to="view"):
    """The department, or 404 if the person may not see it; 403 if they may see but not manage."""
    department = (
        Department.objects.visible_to(person)
        .select_related("agency", "parent")
        .filter(pk=pk)
        .first()
    )
    if department is None:
        raise Http404(_("No such department."))
    if to == "manage" and not can_manage_department(person, department):
        raise PermissionDenied(
            _("Only the head of %(department)s or an administrator can do this.")
            % {"department": department.name}
        )
    return department


def can_manage_department(person, department):
    """Heads (of the department or the department a section is in), delegates and administrators."""
    if person.is_administrator:
        return True
    if is_head_of(person, department):
        return True
    return person.has_perm("organisation.manage_department", department)


def get_person_for(viewer, pk):
    person = Person.objects.visible_to(viewer).filter(pk=pk, is_active=True).first()
    if person is None:
        raise Http404(_("No such person."))
    return person
