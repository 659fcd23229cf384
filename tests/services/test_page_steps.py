"""The staff request page offers exactly the steps the workflow would take from this person now,
and a step it does not offer is refused when posted anyway (4xx, nothing changed)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from audits.capa.models import Nonconformity
from services import workflow
from services.models import ServiceRequest
from tests.services.conftest import make_request

pytestmark = pytest.mark.django_db
Status = ServiceRequest.Status

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor"]
#: How to bring a fresh request into each state, through the real workflow.
STATES = {
    Status.RECEIVED: [],
    Status.ACKNOWLEDGED: ["acknowledge"],
    Status.IN_PROGRESS: ["start"],
    Status.RESOLVED: ["start", "resolve"],
    Status.CLOSED: ["start", "resolve", "close"],
    Status.REJECTED: ["reject"],
}
ALL_STEPS = [*workflow.REQUEST_MACHINE.names, workflow.RAISE_NONCONFORMITY]


class StepsOnPage(HTMLParser):
    """The ``data-step`` of every form on the page."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def handle_starttag(self, tag, attrs):
        step = dict(attrs).get("data-step")
        if tag == "form" and step:
            self.steps.append(step)


def steps_shown(client, item):
    response = client.get(item.get_absolute_url())
    if response.status_code == 404:
        return []
    assert response.status_code == 200
    parser = StepsOnPage()
    parser.feed(response.content.decode())
    return parser.steps


def in_state(service, state, actor):
    item = make_request(service)
    for step in STATES[state]:
        kwargs = {"reason": "Why"} if step in ("reject", "reopen") else {"note": "Done"}
        getattr(workflow, {"start": "start_work"}.get(step, step))(
            request_id=item.pk, actor=actor, **kwargs
        )
    item.refresh_from_db()
    assert item.status == state
    return item


def post_step(client, item, step, *, department, assignee):
    if step in workflow.REQUEST_MACHINE.names and step not in ("transfer", "assign", "add_update"):
        url, data = reverse("services:request_action", args=[item.pk, step]), {"note": "Try"}
    elif step == "transfer":
        url = reverse("services:request_transfer", args=[item.pk])
        data = {"department": department.pk, "reason": "Try"}
    elif step == "assign":
        url, data = reverse("services:request_assign", args=[item.pk]), {"assignee": assignee.pk}
    elif step == "add_update":
        url, data = (
            reverse("services:request_update", args=[item.pk]),
            {"text": "Try", "public": "on"},
        )
    else:
        url, data = reverse("capa:nc_from_request", args=[item.pk]), {"severity": "minor"}
    return client.post(url, data)


def snapshot(item):
    fresh = ServiceRequest.objects.get(pk=item.pk)
    return (
        fresh.status,
        fresh.department_id,
        fresh.assignee_id,
        fresh.updated_at,
        fresh.public_note,
        fresh.nonconformity_ref,
        fresh.updates.count(),
        fresh.history.count(),
        Nonconformity.objects.count(),
    )


def check_page_and_refusals(client, request, item, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    offered = workflow.available_steps(item, person)
    assert sorted(steps_shown(client, item)) == sorted(offered)  # each once, none else
    before = snapshot(item)
    for step in ALL_STEPS:
        if step in offered:
            continue
        response = post_step(
            client,
            item,
            step,
            department=request.getfixturevalue("department_b"),
            assignee=request.getfixturevalue("colleague"),
        )
        assert response.status_code in (403, 404, 409), (persona, item.status, step)
        assert snapshot(item) == before, (persona, item.status, step)
    return offered


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_offers_exactly_the_available_steps_and_refuses_the_rest(
    client, request, service, quality_manager, persona, state
):
    item = in_state(service, state, quality_manager)
    offered = check_page_and_refusals(client, request, item, persona)
    handles = persona in ("owner", "colleague", "quality_manager")
    assert ("add_update" in offered) is handles
    assert (offered == []) is (not handles)
    assert ("assign" in offered) is (handles and item.is_open)


@pytest.fixture
def complaint_service(simple_service):
    simple_service.is_complaint = True
    simple_service.save(update_fields=["is_complaint"])
    return simple_service


@pytest.mark.parametrize("state", [Status.RECEIVED, Status.CLOSED])
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_complaint_offers_a_nonconformity_to_quality_managers_and_auditors_only(
    client, request, complaint_service, quality_manager, persona, state
):
    item = in_state(complaint_service, state, quality_manager)
    offered = check_page_and_refusals(client, request, item, persona)
    expected = persona in ("quality_manager", "auditor")
    assert (workflow.RAISE_NONCONFORMITY in offered) is expected
