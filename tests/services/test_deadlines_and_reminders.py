"""Deadline status (on time, at risk, overdue) and the idempotent beat reminders."""

from datetime import date

import pytest

from qms_portal.organisation.models import Notification
from services import reminders, tasks, workflow
from services.deadlines import DeadlineStatus, deadline_status
from services.working_days import Calendar
from tests.services.conftest import local, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday_request(service):
    return make_request(service, at=local(2026, 3, 2, 9, 0))  # due Thursday 5 March


def status_on(request, day):
    calendar = Calendar.around(request.service.agency_id, day)
    return deadline_status(request, calendar, day)


def test_deadline_status_moves_from_on_time_to_at_risk_to_overdue(monday_request):
    assert monday_request.due_date == date(2026, 3, 5)
    assert status_on(monday_request, date(2026, 3, 2)) == DeadlineStatus.ON_TIME
    assert status_on(monday_request, date(2026, 3, 4)) == DeadlineStatus.AT_RISK
    assert status_on(monday_request, date(2026, 3, 5)) == DeadlineStatus.AT_RISK
    assert status_on(monday_request, date(2026, 3, 6)) == DeadlineStatus.OVERDUE


def test_finished_requests_are_met_or_missed(monday_request, owner):
    workflow.start_work(request_id=monday_request.pk, actor=owner, at=local(2026, 3, 3, 9, 0))
    done = workflow.resolve(
        request_id=monday_request.pk, actor=owner, note="ok", at=local(2026, 3, 9, 9, 0)
    )
    assert status_on(done, date(2026, 3, 20)) == DeadlineStatus.MISSED


def test_reminders_are_sent_once_and_escalate_to_quality_managers(
    monday_request, owner, colleague, quality_manager
):
    workflow.assign(request_id=monday_request.pk, actor=owner, assignee=colleague)
    Notification.objects.all().delete()
    # Wednesday 4 March: at risk → the assignee
    assert reminders.send_deadline_reminders(today=date(2026, 3, 4)) == 1
    assert reminders.send_deadline_reminders(today=date(2026, 3, 4)) == 0
    assert Notification.objects.get().recipient == colleague
    # Friday 6 March: overdue → assignee and head, not yet escalated
    reminders.send_deadline_reminders(today=date(2026, 3, 6))
    overdue = Notification.objects.filter(key__startswith="services:overdue")
    assert {n.recipient for n in overdue} == {colleague, owner}
    assert not Notification.objects.filter(recipient=quality_manager).exists()
    # Wednesday 11 March: 4 working days late → quality manager too, once
    reminders.send_deadline_reminders(today=date(2026, 3, 11))
    reminders.send_deadline_reminders(today=date(2026, 3, 11))
    assert (
        Notification.objects.filter(
            recipient=quality_manager, key__startswith="services:escalated"
        ).count()
        == 1
    )
    assert overdue.count() == 2


def test_finished_requests_get_no_reminders(monday_request, owner):
    workflow.reject(request_id=monday_request.pk, actor=owner, reason="Duplicate")
    Notification.objects.all().delete()
    assert reminders.send_deadline_reminders(today=date(2026, 3, 20)) == 0


def test_beat_task_runs_and_is_scheduled(monday_request, owner):
    from qms_portal.celery import app

    assert any(
        entry["task"] == "services.tasks.send_deadline_reminders"
        for entry in app.conf.beat_schedule.values()
    )
    first = tasks.send_deadline_reminders.delay().get()
    assert tasks.send_deadline_reminders.delay().get() == 0
    assert first >= 1


def test_queue_filters_overdue_and_shows_deadline(client, owner, service, monday_request):
    from django.urls import reverse

    recent = make_request(service)
    client.force_login(owner)
    response = client.get(reverse("services:queue"), {"deadline": "overdue", "status": "open"})
    page = list(response.context["page"])
    assert [r.pk for r in page] == [monday_request.pk]
    assert page[0].deadline == DeadlineStatus.OVERDUE
    assert recent.pk not in [r.pk for r in page]
