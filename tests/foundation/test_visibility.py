"""Who sees which departments and people: one rule (QuerySet.visible_to) for lists and details."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from qms_portal.organisation.models import Department, Person

pytestmark = pytest.mark.django_db


def visible_codes(person):
    return set(Department.objects.visible_to(person).values_list("code", flat=True))


def test_agency_staff_see_every_department_of_their_agency(
    owner, outsider, section_a, department_b, other_agency_department
):
    assert visible_codes(owner) == {"FIN", "PAY", "URB"}
    assert visible_codes(outsider) == {"FIN", "PAY", "URB"}


def test_quality_manager_and_auditor_see_their_agency_only(
    quality_manager, auditor, department_a, other_agency_department
):
    assert visible_codes(quality_manager) == {"FIN", "URB"}
    assert visible_codes(auditor) == {"FIN", "URB"}


def test_certifier_sees_only_departments_shared_with_them(
    certifier, department_b, unshared_certifier
):
    assert visible_codes(certifier) == {"FIN"}
    assert visible_codes(unshared_certifier) == set()


def test_anonymous_and_inactive_people_see_nothing(owner, department_a):
    assert visible_codes(AnonymousUser()) == set()
    owner.is_active = False
    assert visible_codes(owner) == set()


def test_people_of_another_agency_are_invisible(owner, stranger):
    assert stranger not in Person.objects.visible_to(owner)
    assert owner not in Person.objects.visible_to(stranger)
    assert owner in Person.objects.visible_to(owner)


def test_certifier_sees_only_themselves_among_people(certifier, owner):
    assert list(Person.objects.visible_to(certifier)) == [certifier]


def test_department_page_follows_the_same_rule(
    client, department_a, owner, stranger, certifier, unshared_certifier
):
    url = reverse("organisation:department", args=[department_a.pk])
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    for person, expected in [
        (owner, 200),
        (certifier, 200),
        (stranger, 404),
        (unshared_certifier, 404),
    ]:
        client.force_login(person)
        assert client.get(url).status_code == expected, person.username


def test_department_list_shows_only_visible_departments(client, certifier, department_b):
    client.force_login(certifier)
    page = client.get(reverse("organisation:departments")).content.decode()
    assert "Finance" in page
    assert "Urban Management" not in page


def test_department_list_queries_do_not_grow_with_rows(
    client, owner, agency, django_assert_max_num_queries
):
    client.force_login(owner)
    url = reverse("organisation:departments")
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    Department.objects.bulk_create(
        [Department(agency=agency, code=f"D{i:02d}", name=f"Department {i}") for i in range(20)]
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_people_list_queries_do_not_grow_with_rows(
    client, owner, agency, department_a, django_assert_max_num_queries
):
    from tests.conftest import make_person

    client.force_login(owner)
    url = reverse("organisation:people")
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for i in range(15):
        make_person(f"extra{i}", agency=agency, departments=[department_a])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert "Extra14" in page.content.decode() or "extra14" in page.content.decode()


def test_section_head_rules(owner, colleague, section_a, administrator):
    from qms_portal.organisation.access import can_manage_department

    assert can_manage_department(owner, section_a)  # head of the department the section is in
    assert not can_manage_department(colleague, section_a)
    assert can_manage_department(administrator, section_a)


def test_a_section_cannot_hold_sections(section_a):
    from django.core.exceptions import ValidationError

    nested = Department(agency=section_a.agency, parent=section_a, code="SUB", name="Too deep")
    with pytest.raises(ValidationError):
        nested.full_clean()
