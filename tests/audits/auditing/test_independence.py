"""Audit independence is one rule for everyone (ISO 9001 9.2.2 c), quality managers included.

Only the audit team records results and keeps the checklist, only the lead auditor starts, reports
and closes the audit, nobody works on an audit of a department they belong to, and a result the
lead auditor recorded changes only by the lead auditor, with a reason kept in the history.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audits.auditing import workflow
from audits.auditing.models import Audit, ChecklistItem
from qms_portal.organisation.models import Person
from qms_portal.organisation.roles import Role
from qms_portal.organisation.workflow import add_member
from tests.audits.conftest import plan, run_audit
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_auditor(agency, department_b):
    return make_person(
        "second_auditor", agency=agency, roles=[Role.AUDITOR], departments=[department_b]
    )


@pytest.fixture
def own_office_audit(programme, quality_manager, auditor, department_b, department_a):
    """The quality manager's own office (department B) audited, led by an auditor from A."""
    lead = make_person(
        "lead_from_a", agency=programme.agency, roles=[Role.AUDITOR], departments=[department_a]
    )
    audit = plan(programme, quality_manager, department=department_b, lead=lead)
    workflow.checklist_add(audit=audit, actor=lead, question="Who signs permits?")
    return audit


def test_a_quality_manager_off_the_team_cannot_run_the_audit_of_their_own_office(
    own_office_audit, quality_manager, client
):
    audit = own_office_audit
    assert workflow.available_steps(audit, quality_manager) == ["download_report"]
    with pytest.raises(PermissionDenied):
        workflow.audit_start(audit=audit, actor=quality_manager)
    client.force_login(quality_manager)
    assert client.post(reverse("auditing:audit_start", args=[audit.pk])).status_code == 403
    audit.refresh_from_db()
    assert audit.status == Audit.Status.PLANNED


def test_a_quality_manager_off_the_team_records_no_result_and_moves_nothing(
    audit, auditor, quality_manager, client
):
    run_audit(audit, auditor)
    item = audit.checklist.order_by("position").first()
    with pytest.raises(PermissionDenied):
        workflow.checklist_record(item=item, actor=quality_manager, result="major", evidence="X")
    with pytest.raises(PermissionDenied):
        workflow.audit_report(audit=audit, actor=quality_manager, summary="Done.")
    client.force_login(quality_manager)
    response = client.post(
        reverse("auditing:checklist_record", args=[item.pk]),
        {"result": "conforming", "evidence": "", "reason": "Overruled"},
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert (item.result, item.evidence, item.assessed_by) == ("conforming", "Evidence 0", auditor)
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS


def test_a_team_member_who_joins_the_audited_department_stops_working_on_the_audit(
    programme, quality_manager, auditor, second_auditor, department_a
):
    audit = plan(programme, quality_manager, department=department_a, lead=auditor)
    audit.team.add(second_auditor)
    workflow.checklist_add(audit=audit, actor=auditor, question="Who signs permits?")
    run_audit(audit, auditor)
    item = audit.checklist.order_by("position").first()
    add_member(person=second_auditor, department=department_a)
    moved = Person.objects.get(pk=second_auditor.pk)  # memberships read afresh
    assert "record_result" not in workflow.available_steps(audit, moved)
    with pytest.raises(PermissionDenied):
        workflow.checklist_record(item=item, actor=moved, result="conforming", evidence="Fine")


def test_the_lead_auditors_major_finding_is_changed_only_by_the_lead_auditor(
    programme, quality_manager, auditor, second_auditor, department_a, client
):
    audit = plan(programme, quality_manager, department=department_a, lead=auditor)
    audit.team.add(second_auditor)
    workflow.checklist_add(audit=audit, actor=auditor, question="Who signs permits?")
    run_audit(audit, auditor)
    item = audit.checklist.order_by("position").first()
    workflow.checklist_record(
        item=item, actor=auditor, result="major", evidence="No sign-off", reason="Checked twice"
    )
    with pytest.raises(PermissionDenied, match="lead auditor"):
        workflow.checklist_record(
            item=item, actor=second_auditor, result="conforming", evidence="", reason="Fine"
        )
    client.force_login(second_auditor)
    response = client.post(
        reverse("auditing:checklist_record", args=[item.pk]),
        {"result": "conforming", "evidence": "", "reason": "Fine"},
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert (item.result, item.evidence) == ("major", "No sign-off")


def test_a_recorded_result_changes_only_with_a_reason_kept_in_the_history(audit, auditor, client):
    run_audit(audit, auditor)
    item = audit.checklist.order_by("position").first()
    with pytest.raises(workflow.AuditRuleError, match="say why"):
        workflow.checklist_record(item=item, actor=auditor, result="minor", evidence="Late")
    client.force_login(auditor)
    url = reverse("auditing:checklist_record", args=[item.pk])
    assert client.post(url, {"result": "minor", "evidence": "Late"}).status_code == 400
    item.refresh_from_db()
    assert item.result == ChecklistItem.Result.CONFORMING

    response = client.post(url, {"result": "minor", "evidence": "Late", "reason": "File re-read"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.result == ChecklistItem.Result.MINOR
    assert item.history.first().history_change_reason == "Result changed: File re-read"


def test_recording_the_same_result_again_needs_no_reason(audit, auditor):
    run_audit(audit, auditor)
    item = audit.checklist.order_by("position").first()
    workflow.checklist_record(item=item, actor=auditor, result="conforming", evidence="Evidence 0")
    item.refresh_from_db()
    assert item.history.first().history_change_reason == "Result recorded"
