"""The shared preamble of agency-scoped visibility, used by every domain's visible_to."""

import pytest

from qms_portal.organisation.models import Department
from qms_portal.visibility import AgencyScopedQuerySet

pytestmark = pytest.mark.django_db


class DepartmentsOfMyOwn(AgencyScopedQuerySet):
    """A domain rule for the test: staff see their own departments only."""

    def visible_to_staff(self, mine, person):
        return mine.filter(pk__in=person.department_ids)


def scoped():
    return DepartmentsOfMyOwn(model=Department)


def test_agency_readers_see_every_record_of_their_agency_only(
    quality_manager, auditor, administrator, department_a, department_b, other_agency_department
):
    for person in (quality_manager, auditor, administrator):
        assert set(scoped().visible_to(person)) == {department_a, department_b}


def test_staff_get_the_domains_narrower_rule(owner, department_a, department_b):
    assert list(scoped().visible_to(owner)) == [department_a]


def test_certifiers_and_the_inactive_see_nothing_and_other_agencies_only_their_own(
    certifier, stranger, owner, department_a, other_agency_department
):
    assert not scoped().visible_to(certifier).exists()
    assert list(scoped().visible_to(stranger)) == [other_agency_department]
    owner.is_active = False
    assert not scoped().visible_to(owner).exists()


def test_anonymous_sees_nothing_and_a_superuser_everything(department_a, other_agency_department):
    from django.contrib.auth.models import AnonymousUser

    from tests.conftest import make_person

    assert not scoped().visible_to(AnonymousUser()).exists()
    root = make_person("root", is_superuser=True)
    assert set(scoped().visible_to(root)) == {department_a, other_agency_department}
