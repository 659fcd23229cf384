"""Planning audits: who may plan, dates in order, and no auditor audits their own department."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audits.auditing import workflow
from audits.auditing.models import Audit
from qms_portal.organisation.roles import Role
from tests.audits.conftest import clauses, plan
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_quality_manager_plans_an_audit_with_team_and_criteria(audit, auditor, owner, process):
    assert audit.status == Audit.Status.PLANNED
    assert audit.reference.startswith(f"IA-{audit.programme.year}-")
    assert list(audit.processes.all()) == [process]
    assert {c.number for c in audit.clauses.all()} == {"8.1", "8.2", "7.5"}
    assert list(audit.auditees.all()) == [owner]
    assert audit.history.count() >= 1


def test_auditor_may_not_audit_their_own_department(
    programme, quality_manager, auditor, department_b
):
    with pytest.raises(workflow.AuditRuleError, match="may not audit their own department"):
        plan(programme, quality_manager, department=department_b, lead=auditor)
    assert not Audit.objects.exists()


def test_team_member_from_the_audited_department_is_refused(
    programme, quality_manager, auditor, agency, department_a
):
    insider = make_person(
        "insider", agency=agency, roles=[Role.AUDITOR], departments=[department_a]
    )
    with pytest.raises(workflow.AuditRuleError, match="Insider works"):
        plan(programme, quality_manager, department=department_a, lead=auditor, team=[insider])


def test_auditing_a_process_run_by_the_auditors_department_is_refused(
    programme, quality_manager, auditor, department_a, process_b
):
    with pytest.raises(workflow.AuditRuleError, match="own department"):
        plan(
            programme, quality_manager, department=department_a, lead=auditor, processes=[process_b]
        )


def test_auditor_in_a_section_may_not_audit_the_parent_department(
    programme, quality_manager, agency, department_a, section_a
):
    section_auditor = make_person(
        "sec", agency=agency, roles=[Role.AUDITOR], departments=[section_a]
    )
    with pytest.raises(workflow.AuditRuleError, match="own department"):
        plan(programme, quality_manager, department=department_a, lead=section_auditor)


def test_lead_auditor_needs_the_auditor_role(programme, quality_manager, outsider, department_a):
    with pytest.raises(workflow.AuditRuleError, match="auditor role"):
        plan(programme, quality_manager, department=department_a, lead=outsider)


def test_dates_in_the_wrong_order_are_refused(programme, quality_manager, auditor, department_a):
    with pytest.raises(workflow.AuditRuleError, match="before its start"):
        workflow.audit_plan(
            actor=quality_manager,
            programme=programme,
            title="x",
            department=department_a,
            scope="x",
            lead_auditor=auditor,
            planned_start=date(programme.year, 5, 10),
            planned_end=date(programme.year, 5, 1),
        )
    assert not Audit.objects.exists()


def test_only_a_quality_manager_plans(programme, auditor, owner, department_a):
    with pytest.raises(PermissionDenied):
        plan(programme, owner, department=department_a, lead=auditor)


def _form(department, lead, start, end, clause):
    return {
        "title": "Finance audit",
        "audit_type": "internal",
        "department": department.pk,
        "clauses": [clause.pk],
        "scope": "Payments",
        "lead_auditor": lead.pk,
        "planned_start": start,
        "planned_end": end,
    }


def test_own_department_through_the_page_is_a_400_with_the_message(
    client, programme, quality_manager, auditor, department_b
):
    client.force_login(quality_manager)
    year = programme.year
    data = _form(department_b, auditor, f"{year}-03-01", f"{year}-03-02", clauses("9.2")[0])
    response = client.post(reverse("auditing:audit_create", args=[programme.pk]), data)
    assert response.status_code == 400
    assert "may not audit their own department" in response.content.decode()
    assert not Audit.objects.exists()


def test_dates_in_wrong_order_through_the_page_is_a_400(
    client, programme, quality_manager, auditor, department_a
):
    client.force_login(quality_manager)
    year = programme.year
    data = _form(department_a, auditor, f"{year}-03-05", f"{year}-03-01", clauses("9.2")[0])
    response = client.post(reverse("auditing:audit_create", args=[programme.pk]), data)
    assert response.status_code == 400
    assert "put the dates in order" in response.content.decode()
    assert not Audit.objects.exists()


def test_planning_through_the_page(client, programme, quality_manager, auditor, department_a):
    client.force_login(quality_manager)
    year = programme.year
    data = _form(department_a, auditor, f"{year}-03-01", f"{year}-03-02", clauses("9.2")[0])
    response = client.post(reverse("auditing:audit_create", args=[programme.pk]), data)
    audit = Audit.objects.get()
    assert response.status_code == 302 and response.url == audit.get_absolute_url()


def test_staff_cannot_open_the_planning_page(client, programme, owner):
    client.force_login(owner)
    assert client.get(reverse("auditing:audit_create", args=[programme.pk])).status_code == 403
