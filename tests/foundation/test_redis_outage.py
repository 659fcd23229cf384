"""Redis stops: the portal degrades, never fails.

Sign-in (right or wrong password), citizen submissions, the transparency page and password-signed
signatures go on working; throttling still limits, counting in each process; tasks wait in the
outbox; /healthz says "degraded". Uses a Redis server of its own, started for the test and then
stopped, as the shared cache and the broker.
"""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from documents import workflow as document_workflow
from documents.models import Signature
from qms_portal.celery import app
from qms_portal.organisation.models import OutboxTask
from services.models import Service, ServiceRequest
from tests.conftest import PASSWORD
from tests.documents.conftest import draft_document
from tests.servers import free_port, start_redis, stop

pytestmark = pytest.mark.django_db(transaction=True)

#: What a request may take with Redis gone (a hung connection would take far longer).
QUICK_SECONDS = 3


@pytest.fixture
def redis_that_stops(settings, tmp_path):
    """A private Redis as cache and broker, running at first; ``stop_it()`` stops it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    port = free_port()
    server = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    app.amqp._producer_pool = app._pool = None
    yield lambda: stop(server)
    stop(server)
    app.conf.broker_url, app.conf.task_always_eager = saved
    app.amqp._producer_pool = app._pool = None


def public_service(agency, department):
    return Service.objects.create(
        agency=agency,
        code="FIN-REFUND",
        name_zh="退费",
        name_en="Refund of a fee",
        department=department,
        commitment_days=3,
    )


CITIZEN_FORM = {"description": "I paid the licence fee twice.", "citizen_email": "c@example.org"}


def timed(call):
    started = time.monotonic()
    response = call()
    assert time.monotonic() - started < QUICK_SECONDS, "a request waited on the dead Redis"
    return response


def sign_in(client, username, password):
    return timed(
        lambda: client.post(
            reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.3.3.3"
        )
    )


def test_with_redis_stopped_sign_in_still_works_and_is_still_throttled(
    redis_that_stops, client, owner, colleague, settings
):
    cache.set("proof-it-was-up", 1)  # the shared cache worked before the outage
    redis_that_stops()

    assert sign_in(client, "owner", PASSWORD).status_code == 302
    client.logout()
    wrong = sign_in(client, "colleague", "wrong")
    assert wrong.status_code == 200
    assert "correct username and password" in wrong.content.decode()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert sign_in(client, "colleague", "wrong").status_code == 200
    locked = sign_in(client, "colleague", PASSWORD)
    assert locked.status_code == 429, "the fallback counts must still lock the account"
    assert "_auth_user_id" not in client.session


def test_with_redis_stopped_citizens_submit_and_the_public_page_shows(
    redis_that_stops, client, agency, department_a, settings
):
    service = public_service(agency, department_a)
    redis_that_stops()
    response = timed(
        lambda: client.post(reverse("services:service", args=[service.code]), CITIZEN_FORM)
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.count() == 1
    assert timed(lambda: client.get(response["Location"])).status_code == 200
    page = timed(lambda: client.get(reverse("transparency:agency", args=[agency.code])))
    assert page.status_code == 200
    settings.SERVICES_SUBMIT_LIMIT = 1  # the citizen limit still holds, counted in this process
    refused = timed(
        lambda: client.post(reverse("services:service", args=[service.code]), CITIZEN_FORM)
    )
    assert refused.status_code == 429
    assert ServiceRequest.objects.count() == 1


def test_with_redis_stopped_signatures_work_and_tasks_wait_in_the_outbox(
    redis_that_stops, client, owner, department_a, colleague, quality_manager
):
    redis_that_stops()
    revision = draft_document(owner, department_a).revisions.get()
    document_workflow.submit_for_review(
        revision_id=revision.pk, actor=owner, reviewers=[colleague], approvers=[quality_manager]
    )
    assert OutboxTask.objects.unpublished().count() == 3  # the broker is down: they wait

    client.force_login(colleague)
    url = reverse("documents:revision_sign", args=[revision.document_id, revision.pk])
    wrong = timed(lambda: client.post(url, {"meaning": "reviewed", "password": "nope"}))
    assert wrong.status_code == 409
    signed = timed(lambda: client.post(url, {"meaning": "reviewed", "password": PASSWORD}))
    assert signed.status_code == 302
    assert Signature.objects.filter(revision=revision, signer=colleague).count() == 1


def test_with_redis_stopped_healthz_says_degraded_but_serving(redis_that_stops, client):
    before = client.get("/healthz")
    assert before.status_code == 200 and before.json()["status"] == "ok"
    assert before.json()["cache"] == {"ok": True, "mode": "shared"}

    redis_that_stops()
    response = timed(lambda: client.get("/healthz"))
    assert response.status_code == 200  # the load balancer keeps the node: it still serves
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["cache"]["ok"] is False
