"""The same submission sent twice makes one request: the citizen form carries a one-time token,
an Open311 client an Idempotency-Key header; a repeat gets the first request's answer.

The parallel tests post over HTTP to a live server from five threads at once. On PostgreSQL the
server answers each post in its own thread with its own connection, so the posts really race (the
unique key makes four of them wait, then find the first request); SQLite's in-memory test
database is one connection, so there the server answers them one after another.
"""

import http.client
import json
import re
import threading
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.urls import reverse

from services.models import ServiceRequest, SubmissionKey

PARALLEL_POSTS = 5
REQUESTS_URL = "/open311/v2/requests.json"


def citizen_form(token, **extra):
    return {
        "submission_token": token,
        "description": "I paid the licence fee twice.",
        "q_AMOUNT": "120.50",
        "q_DOCS": ["receipt", "id"],
        "address": "1 Jianshe Road",
        **extra,
    }


def open311_fields(api_key, **extra):
    return {
        "api_key": api_key.key,
        "service_code": "FIN-REFUND",
        "lat": "22.579",
        "long": "113.0815",
        "description": "Paid twice",
        "attribute[AMOUNT]": "50",
        **extra,
    }


def token_on_page(response):
    found = re.search(rb'name="submission_token" value="([^"]+)"', response.content)
    assert found, "the form carries no submission token"
    return found.group(1).decode()


# One post after another (the test client) ------------------------------------------------------


@pytest.mark.django_db
def test_the_same_form_sent_twice_makes_one_request(client, service):
    url = reverse("services:service", args=[service.code])
    token = token_on_page(client.get(url))
    first = client.post(url, citizen_form(token))
    second = client.post(url, citizen_form(token))
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    created = ServiceRequest.objects.get()
    assert created.tracking_code in first.url
    assert created.history.count() == 1


@pytest.mark.django_db
def test_each_rendering_of_the_form_has_its_own_token(client, service):
    url = reverse("services:service", args=[service.code])
    first, second = token_on_page(client.get(url)), token_on_page(client.get(url))
    assert first != second
    client.post(url, citizen_form(first))
    client.post(url, citizen_form(second))
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_spent_token_with_another_submission_is_refused_and_renewed(client, service):
    url = reverse("services:service", args=[service.code])
    token = token_on_page(client.get(url))
    client.post(url, citizen_form(token))
    response = client.post(url, citizen_form(token, description="Another matter entirely."))
    assert response.status_code == 400
    assert "already used for a different submission" in response.content.decode()
    renewed = token_on_page(response)
    assert renewed != token
    assert ServiceRequest.objects.count() == 1
    assert client.post(url, citizen_form(renewed, description="Another matter.")).status_code == 302
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_form_without_a_token_still_submits_and_a_forged_one_is_refused(client, service):
    url = reverse("services:service", args=[service.code])
    assert client.post(url, citizen_form("")).status_code == 302
    assert client.post(url, citizen_form("short;<x>")).status_code == 400
    assert ServiceRequest.objects.count() == 1
    assert not SubmissionKey.objects.exists()


@pytest.mark.django_db
def test_open311_post_with_the_same_idempotency_key_answers_the_same(client, service, api_key):
    headers = {"Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    first = client.post(REQUESTS_URL, open311_fields(api_key), headers=headers)
    second = client.post(REQUESTS_URL, open311_fields(api_key), headers=headers)
    assert first.status_code == second.status_code == 200, first.content
    assert first.json() == second.json()
    assert first.json()[0]["service_request_id"] == ServiceRequest.objects.get().pk


@pytest.mark.django_db
def test_open311_idempotency_key_with_another_body_is_422(client, service, api_key):
    headers = {"Idempotency-Key": "retry-1"}
    client.post(REQUESTS_URL, open311_fields(api_key), headers=headers)
    response = client.post(
        REQUESTS_URL, open311_fields(api_key, description="Something else"), headers=headers
    )
    assert response.status_code == 422
    assert response.json()[0]["code"] == 422
    assert "different submission" in response.json()[0]["description"]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.django_db
def test_open311_idempotency_keys_belong_to_one_api_key(client, service, api_key):
    from services.models import ApiKey

    other_client = ApiKey.objects.create(name="Another client")
    headers = {"Idempotency-Key": "retry-1"}
    one = client.post(REQUESTS_URL, open311_fields(api_key), headers=headers).json()
    two = client.post(REQUESTS_URL, open311_fields(other_client), headers=headers).json()
    assert one[0]["service_request_id"] != two[0]["service_request_id"]
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db
def test_open311_malformed_idempotency_key_is_400(client, service, api_key):
    for key in ("", "a b", "x" * 101, "ключ"):
        response = client.post(
            REQUESTS_URL, open311_fields(api_key), headers={"Idempotency-Key": key}
        )
        assert response.status_code == 400, key
        assert "Idempotency-Key" in response.json()[0]["description"]
    assert not ServiceRequest.objects.exists()


# Posts at the same moment (a live server) ------------------------------------------------------


class SerialWSGIServer(WSGIServer):
    """One request at a time: SQLite's in-memory test database is a single shared connection."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


@pytest.fixture
def portal_server(transactional_db):
    """The portal on 127.0.0.1, threaded (one connection per request) except on SQLite."""
    database = connections["default"]  # the connection itself, not the thread-local proxy
    in_memory = database.vendor == "sqlite" and database.is_in_memory_db()
    override = {"default": database} if in_memory else None

    class ServerThread(LiveServerThread):
        server_class = SerialWSGIServer if in_memory else ThreadedWSGIServer

    if in_memory:
        database.inc_thread_sharing()
    thread = ServerThread("127.0.0.1", StaticFilesHandler, connections_override=override)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield thread
    thread.terminate()
    if in_memory:
        database.dec_thread_sharing()


def post_at_once(server, path, body, headers):
    """POST the same body from PARALLEL_POSTS threads released together: (status, headers, body)."""
    barrier = threading.Barrier(PARALLEL_POSTS)
    answers = [None] * PARALLEL_POSTS

    def post(index):
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        barrier.wait()
        client.request("POST", path, body=body, headers=headers)
        response = client.getresponse()
        answers[index] = (response.status, response.getheader("Location"), response.read())
        client.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(PARALLEL_POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def form_page(server, path):
    """The form's HTML and the CSRF cookie, as a browser gets them before posting."""
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    client.request("GET", path)
    response = client.getresponse()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    return response.read().decode(), cookie


def test_five_parallel_posts_of_one_form_make_one_request(portal_server, service):
    if connection.vendor == "postgresql":
        assert portal_server.server_class is ThreadedWSGIServer
    path = reverse("services:service", args=[service.code])
    page, cookie = form_page(portal_server, path)
    token = re.search(r'name="submission_token" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({**citizen_form(token), "csrfmiddlewaretoken": csrf}, doseq=True)
    answers = post_at_once(
        portal_server,
        path,
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert [status for status, _location, _body in answers] == [302] * PARALLEL_POSTS, answers
    tracking_urls = {urlsplit(location).path for _status, location, _body in answers}
    created = ServiceRequest.objects.get()
    assert tracking_urls == {reverse("services:track", args=[created.tracking_code])}
    assert SubmissionKey.objects.get().service_request == created
    assert created.history.count() == 1


def test_five_parallel_open311_posts_with_one_idempotency_key_make_one_request(
    portal_server, service, api_key
):
    answers = post_at_once(
        portal_server,
        REQUESTS_URL,
        urlencode(open311_fields(api_key)),
        {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "batch-7"},
    )
    assert [status for status, _location, _body in answers] == [200] * PARALLEL_POSTS, answers
    assert len({body for _status, _location, body in answers}) == 1
    created = ServiceRequest.objects.get()
    assert json.loads(answers[0][2])[0]["service_request_id"] == created.pk
