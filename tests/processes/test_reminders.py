"""Overdue measurements are reminded once per KPI and period, however often the task runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from processes import periods, tasks, workflow
from processes.models import Kpi, Measurement
from qms_portal.celery import app
from qms_portal.organisation.models import Notification
from qms_portal.organisation.worklist import work_for

pytestmark = pytest.mark.django_db


def make_overdue(kpi):
    """Today is past the due date of the last completed month (grace period over)."""
    return periods.due_date(
        periods.last_completed_period(timezone.localdate(), "monthly"), "monthly"
    ) + timedelta(days=1)


def test_running_the_reminder_twice_sends_one_notification(
    owner, kpi, django_capture_on_commit_callbacks
):
    today = make_overdue(kpi)
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.remind_overdue_measurements(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.remind_overdue_measurements(today=today) == 0
    notification = Notification.objects.get(recipient=owner)
    assert kpi.name in notification.subject
    assert notification.url == kpi.get_absolute_url()
    assert len(mail.outbox) == 1


def test_the_celery_task_is_idempotent_too(owner, kpi):
    """Run through Celery (eager here), twice: still one notification."""
    today = make_overdue(kpi).isoformat()
    assert tasks.remind_overdue_measurements.delay(today).get() == 1
    assert tasks.remind_overdue_measurements.delay(today).get() == 0
    assert Notification.objects.filter(recipient=owner).count() == 1


def test_no_reminder_once_measured_or_before_due(owner, kpi):
    today = make_overdue(kpi)
    period = periods.last_completed_period(today, "monthly")
    not_yet_due = periods.period_end(period, "monthly") + timedelta(days=2)
    assert workflow.remind_overdue_measurements(today=not_yet_due) == 0
    Measurement.objects.create(kpi=kpi, period=period, value=Decimal(95), recorded_by=owner)
    assert workflow.remind_overdue_measurements(today=today) == 0
    assert not Notification.objects.exists()


def test_no_reminder_for_a_kpi_created_after_the_period(owner, kpi):
    today = make_overdue(kpi)
    Kpi.objects.filter(pk=kpi.pk).update(created_at=timezone.now())
    assert workflow.remind_overdue_measurements(today=today - timedelta(days=0)) == 0


def test_inactive_kpis_are_not_reminded(owner, kpi):
    Kpi.objects.filter(pk=kpi.pk).update(is_active=False)
    assert workflow.remind_overdue_measurements(today=make_overdue(kpi)) == 0


def test_the_reminder_runs_every_day_on_beat():
    tasks_scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "processes.tasks.remind_overdue_measurements" in tasks_scheduled


def test_measurements_due_are_on_the_owners_home_page(client, owner, colleague, kpi):
    items = [item for item in work_for(owner) if kpi.name in item.title]
    assert len(items) == 1 and items[0].url == kpi.get_absolute_url()
    assert not [item for item in work_for(colleague) if kpi.name in item.title]
    client.force_login(owner)
    assert kpi.name in client.get("/").content.decode()
