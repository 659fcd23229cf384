"""Two staff acting on one citizen request at the same moment: one transition, nothing lost.

PostgreSQL only (row locks): runs in the PostgreSQL + Redis pass of .ci/run.
"""

import pytest
from django.db import connection

from services import workflow
from services.models import ServiceRequest
from tests.documents.test_concurrency import at_once
from tests.services.conftest import make_request

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_acknowledgements_at_once_make_one_transition(service, owner, colleague):
    assert connection.vendor == "postgresql"
    request = make_request(service)
    outcomes = at_once(
        lambda: workflow.acknowledge(request_id=request.pk, actor=owner, note="Seen"),
        lambda: workflow.acknowledge(request_id=request.pk, actor=colleague, note="Seen too"),
    )
    assert sum(isinstance(o, ServiceRequest) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, workflow.RequestError) for o in outcomes) == 1, outcomes
    request.refresh_from_db()
    assert request.status == ServiceRequest.Status.ACKNOWLEDGED
    reasons = list(request.history.values_list("history_change_reason", flat=True))
    assert len([r for r in reasons if r and "acknowledge" in r.lower()]) == 1, reasons


def test_rating_twice_at_once_keeps_one_rating(service, owner):
    request = make_request(service)
    for step in (workflow.acknowledge, workflow.start_work):
        step(request_id=request.pk, actor=owner)
    workflow.resolve(request_id=request.pk, actor=owner, note="Fixed")
    outcomes = at_once(
        lambda: workflow.rate(tracking_code=request.tracking_code, score=5),
        lambda: workflow.rate(tracking_code=request.tracking_code, score=1),
    )
    request.refresh_from_db()
    assert sum(isinstance(o, ServiceRequest) for o in outcomes) == 1, outcomes
    assert request.rating in (1, 5)
