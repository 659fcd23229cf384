"""Role rules in one place: who reads the whole agency, who is its quality manager, who heads what."""

import pytest

from qms_portal.organisation.roles import (
    Role,
    heads_of,
    is_administrator_of,
    is_head_of,
    is_quality_manager_of,
    quality_managers_of,
    sees_whole_agency,
)
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_quality_managers_auditors_and_administrators_read_the_whole_agency(
    quality_manager, auditor, administrator, owner, colleague
):
    assert sees_whole_agency(quality_manager)
    assert sees_whole_agency(auditor)
    assert sees_whole_agency(administrator)
    assert not sees_whole_agency(owner)
    assert not sees_whole_agency(colleague)


def test_a_quality_manager_is_one_only_of_their_own_agency(quality_manager, agency, other_agency):
    assert is_quality_manager_of(quality_manager, agency.pk)
    assert is_quality_manager_of(quality_manager, agency)
    assert not is_quality_manager_of(quality_manager, other_agency.pk)


def test_an_inactive_quality_manager_is_none(quality_manager, agency):
    quality_manager.is_active = False
    assert not is_quality_manager_of(quality_manager, agency.pk)


def test_administrator_of_their_own_agency_only(administrator, agency, other_agency, owner):
    assert is_administrator_of(administrator, agency.pk)
    assert not is_administrator_of(administrator, other_agency.pk)
    assert not is_administrator_of(owner, agency.pk)


def test_quality_managers_of_lists_the_active_ones_of_that_agency(
    quality_manager, agency, other_agency, owner
):
    make_person("retired_qm", agency=agency, roles=[Role.QUALITY_MANAGER], is_active=False)
    assert list(quality_managers_of(agency.pk)) == [quality_manager]
    assert list(quality_managers_of(other_agency)) == []


def test_a_section_without_a_head_falls_back_to_its_departments_heads(
    owner, department_a, section_a, department_b
):
    assert heads_of([department_a.pk, section_a.pk, department_b.pk]) == {
        department_a.pk: [owner],
        section_a.pk: [owner],
        department_b.pk: [],
    }


def test_head_of_a_department_heads_its_sections_too(owner, colleague, department_a, section_a):
    assert is_head_of(owner, department_a)
    assert is_head_of(owner, section_a)
    assert not is_head_of(colleague, department_a)
