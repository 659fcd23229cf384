"""Nonconformity → correction → root cause → actions → implemented → verified (or reopened)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from audits.capa import workflow as capa_workflow
from audits.capa.models import Action, Nonconformity
from tests.audits.conftest import nc_to_implemented, raise_nc

pytestmark = pytest.mark.django_db
S = Nonconformity.Status


@pytest.fixture
def nc(outsider, department_a, owner):
    return raise_nc(outsider, department=department_a, owner=owner)


def later(days):
    return timezone.localdate() + timedelta(days=days)


def test_full_corrective_action_cycle(nc, owner, colleague, quality_manager):
    nc = nc_to_implemented(nc, owner, colleague)
    assert nc.status == S.IMPLEMENTED
    assert nc.verification_due == later(30)
    nc = capa_workflow.nc_verify(
        nc=nc, actor=quality_manager, effective=True, notes="No repeat in 30 days.", today=later(30)
    )
    assert nc.status == S.CLOSED and nc.closed_at
    reasons = list(nc.history.values_list("history_change_reason", flat=True))
    assert "Verified effective; closed" in reasons and "Root cause analysed" in reasons


def test_verification_waits_for_the_waiting_period(nc, owner, colleague, quality_manager):
    nc = nc_to_implemented(nc, owner, colleague)
    with pytest.raises(audit_workflow.AuditRuleError, match="can be verified from"):
        capa_workflow.nc_verify(
            nc=nc, actor=quality_manager, effective=True, notes="ok", today=later(29)
        )
    nc.refresh_from_db()
    assert nc.status == S.IMPLEMENTED


def test_waiting_period_is_a_setting(nc, owner, colleague, settings):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 60
    assert nc_to_implemented(nc, owner, colleague).verification_due == later(60)


def test_ineffective_actions_reopen_the_nonconformity(nc, owner, colleague, quality_manager):
    nc = nc_to_implemented(nc, owner, colleague)
    nc = capa_workflow.nc_verify(
        nc=nc,
        actor=quality_manager,
        effective=False,
        notes="Two more unsigned permits.",
        today=later(31),
    )
    assert nc.status == S.REOPENED and nc.round == 2
    # a new analysis and plan follow; the first round's actions stay on record
    capa_workflow.nc_analyse(
        nc=nc,
        actor=owner,
        method="fishbone",
        analysis={"categories": {"people": "New staff untrained"}},
        root_cause="Training gap",
    )
    capa_workflow.nc_plan(
        nc=nc,
        actor=owner,
        actions=[{"title": "Train new staff", "owner": colleague, "due_date": later(5)}],
    )
    assert nc.actions.filter(nc_round=1).count() == 1 and nc.actions.filter(nc_round=2).count() == 1
    with pytest.raises(audit_workflow.AuditRuleError, match="still open"):
        capa_workflow.nc_implement(nc=nc, actor=owner)


def test_only_the_responsible_person_or_a_quality_manager_works_on_it(
    nc, colleague, auditor, quality_manager
):
    for person in (colleague, auditor):
        with pytest.raises(PermissionDenied):
            capa_workflow.nc_contain(nc=nc, actor=person, containment="x")
    capa_workflow.nc_contain(nc=nc, actor=quality_manager, containment="Stopped issuing.")
    assert Nonconformity.objects.get(pk=nc.pk).status == S.CONTAINED


def test_only_a_quality_manager_verifies_and_not_their_own(
    nc, owner, colleague, quality_manager, agency, department_b
):
    nc = nc_to_implemented(nc, owner, colleague)
    with pytest.raises(PermissionDenied):
        capa_workflow.nc_verify(nc=nc, actor=owner, effective=True, notes="x", today=later(40))
    Nonconformity.objects.filter(pk=nc.pk).update(owner=quality_manager)
    with pytest.raises(PermissionDenied, match="another quality manager"):
        capa_workflow.nc_verify(
            nc=nc, actor=quality_manager, effective=True, notes="x", today=later(40)
        )


def test_steps_cannot_be_skipped(nc, owner):
    with pytest.raises(
        audit_workflow.AuditRuleError, match="open, so it cannot be given a root cause"
    ):
        capa_workflow.nc_analyse(
            nc=nc, actor=owner, method="five_whys", analysis={"whys": ["a", "b"]}, root_cause="c"
        )
    with pytest.raises(audit_workflow.AuditRuleError, match="cannot be marked implemented"):
        capa_workflow.nc_implement(nc=nc, actor=owner)


def test_root_cause_must_be_structured(nc, owner):
    capa_workflow.nc_contain(nc=nc, actor=owner, containment="Stopped.")
    with pytest.raises(audit_workflow.AuditRuleError, match="at least twice"):
        capa_workflow.nc_analyse(
            nc=nc, actor=owner, method="five_whys", analysis={"whys": ["only one"]}, root_cause="x"
        )
    with pytest.raises(audit_workflow.AuditRuleError, match="fishbone category"):
        capa_workflow.nc_analyse(
            nc=nc, actor=owner, method="fishbone", analysis={"categories": {}}, root_cause="x"
        )
    assert Nonconformity.objects.get(pk=nc.pk).status == S.CONTAINED


def test_a_plan_with_a_past_due_date_saves_nothing(nc, owner, colleague):
    capa_workflow.nc_contain(nc=nc, actor=owner, containment="Stopped.")
    capa_workflow.nc_analyse(
        nc=nc, actor=owner, method="five_whys", analysis={"whys": ["a", "b"]}, root_cause="c"
    )
    with pytest.raises(audit_workflow.AuditRuleError, match="in the past"):
        capa_workflow.nc_plan(
            nc=nc,
            actor=owner,
            actions=[
                {"title": "Good", "owner": colleague, "due_date": later(3)},
                {"title": "Bad", "owner": colleague, "due_date": later(-3)},
            ],
        )
    assert not Action.objects.exists()
    assert Nonconformity.objects.get(pk=nc.pk).status == S.ANALYSED


def test_kpi_breach_links_the_kpi_and_its_process(owner, department_a, kpi, quality_manager):
    nc = capa_workflow.nc_raise(
        actor=quality_manager,
        source="kpi",
        description="On-time decisions at 70%",
        department=department_a,
        severity="major",
        owner=owner,
        kpi=kpi,
    )
    assert nc.kpi == kpi and nc.process == kpi.process


def test_citizen_complaint_keeps_a_reference(owner, department_a, colleague):
    nc = capa_workflow.nc_raise(
        actor=colleague,
        source="complaint",
        description="Citizen waited 40 days",
        department=department_a,
        severity="minor",
        owner=owner,
        source_reference="CR-2026-0042",
    )
    assert nc.source_reference == "CR-2026-0042"


def test_step_page_with_bad_input_is_a_400_and_changes_nothing(client, nc, owner):
    client.force_login(owner)
    response = client.post(reverse("capa:nc_step", args=[nc.pk, "contain"]), {"containment": ""})
    assert response.status_code == 400
    assert Nonconformity.objects.get(pk=nc.pk).status == S.OPEN
    response = client.post(
        reverse("capa:nc_step", args=[nc.pk, "analyse"]),
        {"method": "five_whys", "why_1": "a", "root_cause": "c"},
    )
    assert response.status_code == 400
    assert "cannot be given a root cause" in response.content.decode()


def test_step_pages_walk_the_workflow(client, nc, owner, colleague):
    client.force_login(owner)
    url = lambda step: reverse("capa:nc_step", args=[nc.pk, step])  # noqa: E731
    assert client.post(url("contain"), {"containment": "Recalled"}).status_code == 302
    assert (
        client.post(
            url("analyse"), {"method": "five_whys", "why_1": "a", "why_2": "b", "root_cause": "c"}
        ).status_code
        == 302
    )
    due = later(7).isoformat()
    assert (
        client.post(
            url("plan"), {"title_1": "Fix", "owner_1": colleague.pk, "due_1": due}
        ).status_code
        == 302
    )
    assert Nonconformity.objects.get(pk=nc.pk).status == S.PLANNED
    response = client.post(url("implement"))
    assert response.status_code == 400 and "still open" in response.content.decode()


def test_raising_through_the_page_with_bad_input_saves_nothing(
    client, colleague, department_a, owner
):
    client.force_login(colleague)
    response = client.post(
        reverse("capa:nc_create"),
        {
            "source": "kpi",
            "description": "x",
            "department": department_a.pk,
            "severity": "minor",
            "owner": owner.pk,
        },
    )
    assert response.status_code == 400 and "Name the KPI" in response.content.decode()
    assert not Nonconformity.objects.exists()
