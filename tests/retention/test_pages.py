"""The retention pages: who sees them, which steps each person is offered, bad input refused."""

from django.urls import reverse

from retention import workflow
from retention.models import LegalHold, RecordType
from tests.conftest import PASSWORD
from tests.page_steps import shown_steps
from tests.retention.conftest import closed_request

OLD = 3 * 365 + 20


def test_staff_and_other_agencies_cannot_open_the_pages(client, rules, outsider, stranger):
    for person in (outsider, stranger):
        client.force_login(person)
        assert client.get(reverse("retention:schedule")).status_code == 403


def test_run_page_steps_per_person(
    client, rules, service, owner, quality_manager, second_manager, auditor
):
    closed_request(service, owner, days_ago=OLD)
    run = workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])
    url = run.get_absolute_url()
    expected = {
        quality_manager: {"withdraw"},
        second_manager: {"approve", "withdraw"},
        auditor: set(),
    }
    for person, steps in expected.items():
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert shown_steps(response.content.decode()) == steps
        assert set(workflow.available_steps(run, person)) == steps


def test_proposer_posting_approve_is_refused(client, rules, service, owner, quality_manager):
    closed_request(service, owner, days_ago=OLD)
    run = workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])
    client.force_login(quality_manager)
    response = client.post(
        reverse("retention:run_step", args=[run.pk, "approve"]), {"password": PASSWORD}
    )
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == run.Status.PROPOSED


def test_the_whole_run_through_the_pages_shows_the_disposal_record(
    client, rules, service, owner, quality_manager, second_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    client.force_login(quality_manager)
    response = client.post(reverse("retention:runs"), {"record_types": ["requests"]})
    assert response.status_code == 302
    run_url = response["Location"]
    client.force_login(second_manager)
    assert client.post(run_url + "approve/", {"password": PASSWORD}).status_code == 302
    client.force_login(quality_manager)
    assert client.post(run_url + "execute/").status_code == 302
    page = client.get(run_url).content.decode()
    assert f"#{request.pk} FIN-ADVICE" in page and "Secretname" not in page


def test_bad_input_is_a_clear_4xx(client, rules, quality_manager):
    client.force_login(quality_manager)
    response = client.post(reverse("retention:runs"), {"record_types": ["requests"]})
    assert response.status_code == 400 and "nothing was proposed" in response.content.decode()
    response = client.post(reverse("retention:runs"), {"record_types": ["nonsense"]})
    assert response.status_code == 400
    response = client.post(
        reverse("retention:holds"), {"record_type": "documents", "record": "NOPE-1", "reason": "x"}
    )
    assert response.status_code == 400 and not LegalHold.objects.exists()
    rule = rules["requests"]
    response = client.post(
        reverse("retention:rule_edit", args=[rule.pk]), {"years": "0", "trigger_event": "x"}
    )
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.years == 3
    assert client.post(reverse("retention:run_step", args=[999, "approve"])).status_code == 404
