"""Public submission, tracking, the API and the staff queue run a fixed number of queries,
whatever the number of stored requests."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services.models import ServiceRequest
from tests.services.conftest import make_request
from tests.services.test_open311 import valid
from tests.services.test_public_submission import form_data

pytestmark = pytest.mark.django_db


def count_queries(call):
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code in (200, 302), response.content[:500]
    return len(captured.captured_queries)


def grow(service, n):
    for _n in range(n):
        make_request(service)


@pytest.mark.parametrize(
    "name",
    [
        "public submit",
        "tracking page",
        "api post",
        "api requests",
        "api request",
        "api services",
        "queue",
    ],
)
def test_query_count_does_not_depend_on_stored_requests(client, service, api_key, owner, name):
    first = make_request(service)
    calls = {
        "public submit": lambda: client.post(
            reverse("services:service", args=[service.code]), form_data()
        ),
        "tracking page": lambda: client.get(first.get_tracking_url()),
        "api post": lambda: client.post("/open311/v2/requests.json", valid(api_key)),
        "api requests": lambda: client.get("/open311/v2/requests.json"),
        "api request": lambda: client.get(f"/open311/v2/requests/{first.pk}.xml"),
        "api services": lambda: client.get("/open311/v2/services.json"),
        "queue": lambda: client.get(reverse("services:queue"), {"status": "open"}),
    }
    if name == "queue":
        client.force_login(owner)
        client.get(reverse("services:queue"))
    grow(service, 2)
    small = count_queries(calls[name])
    grow(service, 30)
    large = count_queries(calls[name])
    assert small == large, (name, small, large)
    assert ServiceRequest.objects.count() >= 33
