"""Nobody verifies their own corrective action (ISO 9001 10.2.1 d), even in an agency with one
quality manager: the agency names a verification deputy (a deputy or a member of top management),
who verifies the nonconformities a quality manager is responsible for, and only those."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audits.capa import workflow
from audits.capa.models import Nonconformity
from qms_portal.statemachine import save_with_history
from tests.audits.conftest import nc_to_implemented, raise_nc
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def director(agency, department_a):
    """The head of the office: staff, no quality role."""
    return make_person("director", agency=agency, departments=[department_a], head=True)


@pytest.fixture
def deputy_named(agency, director, settings):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0
    agency.verification_deputy = director
    save_with_history(agency, actor=None, reason="Verification deputy named")
    return director


@pytest.fixture
def managers_own_nc(quality_manager, department_b, colleague):
    """The only quality manager is responsible for this one."""
    nc = raise_nc(quality_manager, department=department_b, owner=quality_manager)
    return nc_to_implemented(nc, quality_manager, colleague)


def verify(nc, actor):
    return workflow.nc_verify(nc=nc, actor=actor, effective=True, notes="Sampled 20 cases.")


def test_the_only_quality_manager_cannot_verify_their_own_nonconformity(
    managers_own_nc, quality_manager, settings
):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0
    assert "verify" not in workflow.available_steps(managers_own_nc, quality_manager)
    with pytest.raises(PermissionDenied, match="verification deputy"):
        verify(managers_own_nc, quality_manager)


def test_without_a_named_deputy_nobody_else_may_verify_it(managers_own_nc, director, settings):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0
    with pytest.raises(PermissionDenied):
        verify(managers_own_nc, director)


def test_the_named_deputy_sees_and_verifies_the_quality_managers_nonconformity(
    deputy_named, managers_own_nc, client
):
    nc = managers_own_nc
    assert "verify" in workflow.available_steps(nc, deputy_named)
    client.force_login(deputy_named)
    assert client.get(nc.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("capa:nc_step", args=[nc.pk, "verify"]),
        {"effective": "yes", "notes": "Sampled 20 cases."},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED and nc.verified_by == deputy_named


def test_the_deputy_verifies_nothing_else(
    deputy_named, quality_manager, owner, colleague, department_a
):
    """A nonconformity owned by staff is the quality manager's to verify, not the deputy's."""
    nc = nc_to_implemented(
        raise_nc(quality_manager, department=department_a, owner=owner), owner, colleague
    )
    assert "verify" not in workflow.available_steps(nc, deputy_named)
    with pytest.raises(PermissionDenied):
        verify(nc, deputy_named)
    verify(nc, quality_manager)
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED
