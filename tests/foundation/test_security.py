"""Sessions and headers: rotation on sign-in, logout ends the session, idle timeout, CSP."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from qms_portal.security import IdleTimeoutMiddleware
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_session_key_changes_at_sign_in(client, owner):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_signing_out_deletes_the_session_on_the_server(client, owner):
    client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_an_idle_session_is_signed_out(client, owner, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client.force_login(owner)
    assert client.get("/").status_code == 200
    session = client.session
    session[IdleTimeoutMiddleware.KEY] = int(time.time()) - 601
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/").status_code == 302  # and stays signed out


def test_activity_keeps_the_session_alive(client, owner, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client.force_login(owner)
    session = client.session
    session[IdleTimeoutMiddleware.KEY] = int(time.time()) - 500
    session.save()
    assert client.get("/").status_code == 200
    assert client.session[IdleTimeoutMiddleware.KEY] >= int(time.time()) - 5


def test_pages_carry_security_headers_without_inline_scripts(client, owner):
    client.force_login(owner)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script" not in response.content.decode()
