"""A nonconformity raised in error is voided, never deleted: kept with its history, shown as void,
counted by no figure, its open actions cancelled; only someone independent of it may void it, and
never once it is closed."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audits import dashboard
from audits.capa import workflow
from audits.capa.models import Action, Nonconformity
from qms_portal.statemachine import save_with_history
from tests.audits.conftest import nc_to_implemented, raise_nc
from tests.conftest import make_person

pytestmark = pytest.mark.django_db

REASON = "A duplicate of the nonconformity raised the day before."


@pytest.fixture
def planned(quality_manager, department_a, owner, colleague):
    """An NC of department A with one open and one done corrective action."""
    nc = raise_nc(quality_manager, department=department_a, owner=owner)
    workflow.nc_contain(nc=nc, actor=owner, containment="Recalled the permits.")
    workflow.nc_analyse(
        nc=nc,
        actor=owner,
        method="five_whys",
        analysis={"whys": ["No second check", "Checklist lacks the step"]},
        root_cause="The checklist lacks the step.",
    )
    today = timezone.localdate()
    workflow.nc_plan(
        nc=nc,
        actor=owner,
        actions=[
            {"title": "Add the step", "owner": colleague, "due_date": today},
            {"title": "Train the counter", "owner": colleague, "due_date": today},
        ],
    )
    done = nc.actions.get(title="Add the step")
    workflow.action_complete(action=done, actor=colleague, note="Step added.")
    return Nonconformity.objects.get(pk=nc.pk)


def open_ncs(agency):
    today = timezone.localdate()
    return dashboard.figures(agency, start=today.replace(month=1, day=1), end=today)["nc"]["open"]


def test_a_quality_manager_voids_a_nonconformity_raised_in_error(
    planned, quality_manager, agency, client
):
    assert open_ncs(agency) == 1
    client.force_login(quality_manager)
    page = client.get(planned.get_absolute_url()).content.decode()
    assert 'data-step="void"' in page
    response = client.post(reverse("capa:nc_step", args=[planned.pk, "void"]), {"reason": REASON})
    assert response.status_code == 302

    nc = Nonconformity.all_records.get(pk=planned.pk)
    assert nc.is_void and nc.void_reason == REASON and nc.voided_by == quality_manager
    assert nc.history.first().history_change_reason == f"Voided: {REASON}"
    # Kept, shown as void, counted by no figure:
    assert not Nonconformity.objects.filter(pk=nc.pk).exists()
    assert open_ncs(agency) == 0
    page = client.get(nc.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "VOID" in text and REASON in text and "data-void" in text
    assert 'data-step="' not in text  # a void record takes no further step
    # Left out of the register, listed on asking:
    register = client.get(reverse("capa:nc_list")).content.decode()
    assert nc.reference not in register
    voided = client.get(reverse("capa:nc_list"), {"status": "void"}).content.decode()
    assert nc.reference in voided and "VOID" in voided
    # Its open action is cancelled with it; the done one keeps what was done.
    statuses = dict(Action.objects.filter(nonconformity=nc).values_list("title", "status"))
    assert statuses == {"Add the step": "done", "Train the counter": "cancelled"}


def test_a_void_nonconformity_takes_no_step_and_is_not_voided_twice(planned, quality_manager):
    workflow.nc_void(nc=planned, actor=quality_manager, reason=REASON)
    with pytest.raises(workflow.CapaError, match="void already"):
        workflow.nc_void(nc=planned, actor=quality_manager, reason="Again")
    nc = Nonconformity.all_records.get(pk=planned.pk)
    with pytest.raises(workflow.CapaError, match="void"):
        workflow.nc_plan(nc=nc, actor=quality_manager, actions=[])
    assert workflow.available_steps(nc, quality_manager) == []


def test_voiding_needs_a_reason_and_changes_nothing_without_one(planned, quality_manager, client):
    client.force_login(quality_manager)
    before = planned.history.count()
    response = client.post(reverse("capa:nc_step", args=[planned.pk, "void"]), {"reason": "  "})
    assert response.status_code == 400
    nc = Nonconformity.all_records.get(pk=planned.pk)
    assert not nc.is_void and nc.history.count() == before
    assert nc.actions.filter(status=Action.Status.OPEN).count() == 1


def test_the_responsible_person_cannot_void_their_own_nonconformity(planned, owner, client):
    assert "void" not in workflow.available_steps(planned, owner)
    client.force_login(owner)
    response = client.post(reverse("capa:nc_step", args=[planned.pk, "void"]), {"reason": REASON})
    assert response.status_code == 403
    assert not Nonconformity.all_records.get(pk=planned.pk).is_void


def test_a_closed_nonconformity_is_retained_evidence_and_cannot_be_voided(
    quality_manager, department_a, owner, colleague, settings
):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0
    nc = nc_to_implemented(
        raise_nc(quality_manager, department=department_a, owner=owner), owner, colleague
    )
    workflow.nc_verify(nc=nc, actor=quality_manager, effective=True, notes="No repeat.")
    nc = Nonconformity.objects.get(pk=nc.pk)
    assert "void" not in workflow.available_steps(nc, quality_manager)
    with pytest.raises(workflow.CapaError, match="closed"):
        workflow.nc_void(nc=nc, actor=quality_manager, reason=REASON)
    assert not Nonconformity.all_records.get(pk=nc.pk).is_void


def test_the_verification_deputy_voids_the_only_quality_managers_own(
    quality_manager, agency, department_a, department_b
):
    """As with verification: in an agency with one quality manager, the one they are responsible
    for is voided by the named deputy, not by themselves."""
    director = make_person("director", agency=agency, departments=[department_a], head=True)
    agency.verification_deputy = director
    save_with_history(agency, actor=None, reason="Verification deputy named")
    own = raise_nc(quality_manager, department=department_b, owner=quality_manager)
    assert "void" not in workflow.available_steps(own, quality_manager)
    with pytest.raises(PermissionDenied, match="verification deputy"):
        workflow.nc_void(nc=own, actor=quality_manager, reason=REASON)
    assert "void" in workflow.available_steps(own, director)
    workflow.nc_void(nc=own, actor=director, reason=REASON)
    assert Nonconformity.all_records.get(pk=own.pk).voided_by == director
