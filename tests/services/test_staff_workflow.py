"""The staff queue and workflow: states, who may act, transfer, assignment, updates and notes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from services import workflow
from services.models import RequestUpdate, ServiceRequest
from tests.services.conftest import SECRET_CONTACT

pytestmark = pytest.mark.django_db
Status = ServiceRequest.Status


def action(client, request, name, note=""):
    return client.post(reverse("services:request_action", args=[request.pk, name]), {"note": note})


def test_full_path_received_to_closed_through_the_pages(client, owner, citizen_request):
    client.force_login(owner)
    for name, expected in [
        ("acknowledge", Status.ACKNOWLEDGED),
        ("start", Status.IN_PROGRESS),
        ("resolve", Status.RESOLVED),
        ("close", Status.CLOSED),
    ]:
        assert action(client, citizen_request, name, note=f"{name} note").status_code == 302
        citizen_request.refresh_from_db()
        assert citizen_request.status == expected, name
    assert citizen_request.resolved_at and citizen_request.closed_at
    steps = list(citizen_request.updates.values_list("to_status", flat=True))
    assert steps == ["acknowledged", "in_progress", "resolved", "closed"]
    assert citizen_request.history.count() >= 5


def test_transitions_out_of_order_are_refused_with_a_reason(owner, citizen_request):
    with pytest.raises(workflow.RequestError, match="received, so it cannot be resolved"):
        workflow.resolve(request_id=citizen_request.pk, actor=owner, note="x")
    with pytest.raises(workflow.RequestError):
        workflow.close(request_id=citizen_request.pk, actor=owner)


def test_resolving_and_rejecting_need_a_message_for_the_citizen(owner, citizen_request):
    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    with pytest.raises(workflow.RequestError):
        workflow.resolve(request_id=citizen_request.pk, actor=owner, note=" ")
    with pytest.raises(workflow.RequestError):
        workflow.reject(request_id=citizen_request.pk, actor=owner, reason="")


def test_resolved_request_can_be_reopened(owner, citizen_request):
    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Done")
    request = workflow.reopen(request_id=citizen_request.pk, actor=owner, reason="Not fixed")
    assert request.status == Status.IN_PROGRESS and request.resolved_at is None


def test_outsider_cannot_see_or_act_and_stranger_sees_nothing(
    client, citizen_request, outsider, stranger
):
    for person in (outsider, stranger):
        client.force_login(person)
        assert client.get(citizen_request.get_absolute_url()).status_code == 404
        assert action(client, citizen_request, "acknowledge").status_code == 404
        assert citizen_request.pk not in [
            r.pk for r in client.get(reverse("services:queue")).context["page"]
        ]
    citizen_request.refresh_from_db()
    assert citizen_request.status == Status.RECEIVED
    with pytest.raises(PermissionDenied):
        workflow.acknowledge(request_id=citizen_request.pk, actor=outsider)


def test_auditor_sees_but_cannot_act(client, citizen_request, auditor):
    client.force_login(auditor)
    assert client.get(citizen_request.get_absolute_url()).status_code == 200
    assert action(client, citizen_request, "acknowledge").status_code == 403


def test_certifier_sees_no_requests(client, citizen_request, certifier):
    client.force_login(certifier)
    assert client.get(citizen_request.get_absolute_url()).status_code == 404


def test_colleague_and_quality_manager_may_handle(colleague, quality_manager, citizen_request):
    workflow.acknowledge(request_id=citizen_request.pk, actor=colleague)
    workflow.start_work(request_id=citizen_request.pk, actor=quality_manager)


def test_staff_page_shows_contact_details_to_the_department(client, owner, citizen_request):
    client.force_login(owner)
    html = client.get(citizen_request.get_absolute_url()).content.decode()
    assert SECRET_CONTACT["citizen_email"] in html


def test_transfer_moves_the_request_to_the_other_departments_queue(
    client, owner, outsider, citizen_request, department_b
):
    client.force_login(owner)
    response = client.post(
        reverse("services:request_transfer", args=[citizen_request.pk]),
        {"department": department_b.pk, "reason": "Urban matter"},
    )
    assert response.status_code == 302
    citizen_request.refresh_from_db()
    assert citizen_request.department == department_b
    assert citizen_request.status == Status.RECEIVED
    assert client.get(citizen_request.get_absolute_url()).status_code == 404
    client.force_login(outsider)
    assert client.get(citizen_request.get_absolute_url()).status_code == 200
    workflow.acknowledge(request_id=citizen_request.pk, actor=outsider)


def test_transfer_to_another_agency_is_refused(owner, citizen_request, other_agency_department):
    with pytest.raises(workflow.RequestError):
        workflow.transfer(
            request_id=citizen_request.pk,
            actor=owner,
            department=other_agency_department,
            reason="x",
        )


def test_assignment_only_to_department_staff_and_notifies(
    owner, colleague, outsider, citizen_request
):
    from qms_portal.organisation.models import Notification

    workflow.assign(request_id=citizen_request.pk, actor=owner, assignee=colleague)
    citizen_request.refresh_from_db()
    assert citizen_request.assignee == colleague
    assert (
        Notification.objects.filter(
            recipient=colleague, key__startswith="services:assigned"
        ).count()
        == 1
    )
    with pytest.raises(workflow.RequestError):
        workflow.assign(request_id=citizen_request.pk, actor=owner, assignee=outsider)


def test_assign_page_and_public_update_and_internal_note(client, owner, colleague, citizen_request):
    client.force_login(owner)
    client.post(
        reverse("services:request_assign", args=[citizen_request.pk]), {"assignee": colleague.pk}
    )
    client.post(
        reverse("services:request_update", args=[citizen_request.pk]),
        {"text": "Public words", "public": "on"},
    )
    client.post(
        reverse("services:request_update", args=[citizen_request.pk]), {"text": "Internal words"}
    )
    citizen_request.refresh_from_db()
    assert citizen_request.assignee == colleague
    assert citizen_request.public_note == "Public words"
    assert RequestUpdate.objects.get(text="Internal words").is_public is False


def test_queue_filters(client, owner, service, citizen_request):
    from tests.services.conftest import make_request

    other = make_request(service, description="Broken card reader")
    workflow.reject(request_id=other.pk, actor=owner, reason="Duplicate")
    client.force_login(owner)
    url = reverse("services:queue")
    pks = lambda **p: [r.pk for r in client.get(url, p).context["page"]]  # noqa: E731
    assert pks() == [citizen_request.pk]  # open by default
    assert set(pks(status="")) == {citizen_request.pk, other.pk}
    assert pks(status="rejected") == [other.pk]
    assert pks(q="card reader", status="") == [other.pk]
    assert pks(q=citizen_request.tracking_code, status="") == [citizen_request.pk]
    assert pks(mine="on", status="") == []


def test_refusals_name_the_step_in_the_readers_language(owner, citizen_request):
    from django.utils import translation

    workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="")
    with translation.override("zh-hans"), pytest.raises(workflow.RequestError) as refused:
        workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="")
    assert "acknowledged" not in str(refused.value)
    assert "确认" in str(refused.value)
