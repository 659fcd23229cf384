"""Citizens who leave an e-mail address hear of every public step of their request, in the
language they used, once each; internal notes never reach them (ISO 9001:2015 8.2.1)."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from qms_portal.organisation.models import OutboxTask
from services import citizen_mail, workflow
from services.models import RequestUpdate
from tests.services.conftest import SECRET_CONTACT, make_request

pytestmark = pytest.mark.django_db
TASK = "services.tasks.email_citizen"


def citizen_mails():
    return [m for m in mail.outbox if m.to == [SECRET_CONTACT["citizen_email"]]]


def test_each_public_step_is_emailed_once_with_the_tracking_link(
    owner, citizen_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="We are on it.")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_update(
            request_id=citizen_request.pk,
            actor=owner,
            text="Checked the cashier's log.",
            public=False,
        )
    with django_capture_on_commit_callbacks(execute=True):
        workflow.start_work(request_id=citizen_request.pk, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Refunded in full.")

    sent = citizen_mails()
    assert [m.subject for m in sent] == [
        f"Your request {citizen_request.tracking_code}: Acknowledged",
        f"Your request {citizen_request.tracking_code}: In progress",
        f"Your request {citizen_request.tracking_code}: Resolved",
    ]
    assert "We are on it." in sent[0].body and "Refunded in full." in sent[2].body
    assert citizen_request.get_tracking_url() in sent[2].body
    assert all("cashier" not in m.body for m in mail.outbox)
    internal = RequestUpdate.objects.get(request=citizen_request, is_public=False)
    assert internal.citizen_emailed_at is None


def test_running_the_task_twice_sends_one_email(
    owner, citizen_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="Received.")
    update = RequestUpdate.objects.get(request=citizen_request, to_status="acknowledged")
    assert update.citizen_emailed_at is not None
    assert citizen_mail.email_update(update.pk) is False
    assert len(citizen_mails()) == 1


def test_the_email_is_written_in_the_language_the_citizen_used(
    service, owner, django_capture_on_commit_callbacks
):
    with translation.override("zh-hans"):
        request = make_request(service)
    assert request.language == "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.acknowledge(request_id=request.pk, actor=owner, note="")
    (sent,) = citizen_mails()
    assert sent.subject == f"您的服务请求 {request.tracking_code}：已确认"
    assert service.name_zh in sent.body


def test_no_address_no_email_and_nothing_queued(service, owner, django_capture_on_commit_callbacks):
    request = make_request(service, citizen_email="")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.acknowledge(request_id=request.pk, actor=owner, note="Received.")
    assert citizen_mails() == [] and mail.outbox == []
    assert not OutboxTask.objects.filter(task_name=TASK).exists()


def test_the_email_is_recorded_with_the_step_and_lost_with_it(owner, citizen_request):
    """Recorded in the outbox in the step's own transaction: a step rolled back sends nothing."""
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="Received.")
        assert OutboxTask.objects.filter(task_name=TASK).count() == 1
        raise RuntimeError("the request failed after the step")
    assert not OutboxTask.objects.filter(task_name=TASK).exists()
    assert citizen_mails() == []


def test_a_mail_server_failure_gives_the_claim_back_for_the_retry(
    owner, citizen_request, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(citizen_mail, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="Received.")
    update = RequestUpdate.objects.get(request=citizen_request, to_status="acknowledged")
    assert update.citizen_emailed_at is None
    entry = OutboxTask.objects.get(task_name=TASK)
    assert entry.published_at is None and "mail server down" in entry.last_error

    monkeypatch.undo()
    assert citizen_mail.email_update(update.pk) is True
    assert len(citizen_mails()) == 1
