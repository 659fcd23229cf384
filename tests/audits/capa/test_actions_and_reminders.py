"""Shared actions (CAPA, review, risk treatment) and their overdue reminders and escalation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from audits.capa import tasks
from audits.capa import workflow as capa_workflow
from audits.capa.models import Action
from processes.models import Risk
from qms_portal.organisation.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(process, owner):
    return Risk.objects.create(
        process=process,
        description="Backlog after policy change",
        likelihood=4,
        impact=4,
        owner=owner,
        review_date=timezone.localdate(),
    )


@pytest.fixture
def action(risk, owner, colleague):
    return capa_workflow.risk_action_create(
        risk=risk,
        actor=owner,
        title="Cross-train two officers",
        owner=colleague,
        due_date=timezone.localdate() + timedelta(days=1),
    )


def test_risk_treatment_is_tracked_as_an_action(action, risk):
    assert action.kind == Action.Kind.RISK and action.risk == risk
    assert list(risk.actions.all()) == [action]
    assert action.department == risk.process.department


def test_outsider_cannot_add_a_risk_action(risk, outsider, colleague):
    with pytest.raises(PermissionDenied):
        capa_workflow.risk_action_create(
            risk=risk, actor=outsider, title="x", owner=colleague, due_date=timezone.localdate()
        )


def test_overdue_reminder_is_sent_once(action, colleague):
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    first = tasks.remind_overdue_actions.delay(later).get()
    second = tasks.remind_overdue_actions.delay(later).get()
    assert first["reminded"] == 1 and second["reminded"] == 0
    assert Notification.objects.filter(recipient=colleague, key__contains=":overdue:").count() == 1


def test_long_overdue_actions_are_escalated_once_to_quality_managers(action, quality_manager):
    much_later = timezone.localdate() + timedelta(days=30)
    assert capa_workflow.remind_overdue_actions(today=much_later) == (1, 1)
    assert capa_workflow.remind_overdue_actions(today=much_later) == (0, 0)
    assert (
        Notification.objects.filter(recipient=quality_manager, key__contains=":escalated:").count()
        == 1
    )


def test_completed_actions_are_not_reminded(action, colleague):
    capa_workflow.action_complete(action=action, actor=colleague, note="Done")
    assert capa_workflow.remind_overdue_actions(
        today=timezone.localdate() + timedelta(days=30)
    ) == (
        0,
        0,
    )


def test_only_the_owner_or_a_quality_manager_completes(action, outsider):
    with pytest.raises(PermissionDenied):
        capa_workflow.action_complete(action=action, actor=outsider, note="x")


def test_quality_manager_verifies_a_completed_action(action, colleague, quality_manager):
    with pytest.raises(audit_workflow.AuditRuleError, match="Only completed"):
        capa_workflow.action_verify(action=action, actor=quality_manager, verification="ok")
    capa_workflow.action_complete(action=action, actor=colleague, note="Two officers trained")
    verified = capa_workflow.action_verify(
        action=action, actor=quality_manager, verification="Backlog gone"
    )
    assert verified.verified_by == quality_manager


def test_action_page_with_empty_note_is_a_400(client, action, colleague):
    client.force_login(colleague)
    response = client.post(action.get_absolute_url(), {"complete": "1", "complete-note": ""})
    assert response.status_code == 400
    assert Action.objects.get(pk=action.pk).status == Action.Status.OPEN


def test_beat_schedule_runs_the_reminder():
    from qms_portal.celery import app

    tasks_scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "audits.capa.tasks.remind_overdue_actions" in tasks_scheduled
