"""/healthz reports the database, broker and cache state: 200 while the portal serves ("ok", or
"degraded" with Redis down — tests/foundation/test_redis_outage.py stops a real one), 503 without
its database."""

import pytest
from django.db import connections

from qms_portal import views
from qms_portal.celery import app

pytestmark = pytest.mark.django_db


def test_healthy_portal_answers_200_with_every_state(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["cache"]["ok"] is True


def test_unreachable_broker_answers_200_degraded(client, monkeypatch):
    """The portal still serves (tasks wait in the outbox): a load balancer must keep the node."""
    monkeypatch.setattr(views.settings, "CELERY_TASK_ALWAYS_EAGER", False)
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True


def test_unreachable_database_answers_503(client, monkeypatch):
    default = connections["default"]
    broken = dict(default.settings_dict)
    if default.vendor == "sqlite":
        broken["NAME"] = "/nonexistent-directory/qms.sqlite3"
    else:
        broken["PORT"] = "1"
    monkeypatch.setattr(views, "connection", default.__class__(broken, alias="broken"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["ok"] is False
