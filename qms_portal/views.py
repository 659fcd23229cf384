"""Portal-wide pages: the home page with the person's work, health, and error pages."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from qms_portal import resilient_cache
from qms_portal.organisation.models import Department, Notification
from qms_portal.organisation.worklist import work_for

logger = logging.getLogger(__name__)


@login_required
def home(request):
    person = request.user
    departments = Department.objects.filter(memberships__person=person).select_related("parent")
    notifications = Notification.objects.filter(recipient=person).unread()[:5]
    return render(
        request,
        "home.html",
        {"work": work_for(person), "departments": departments, "notifications": notifications},
    )


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # any failure means unhealthy, reported, never a 500
        logger.warning("healthz: database check failed: %s", error)
        return {"ok": False, "vendor": connection.vendor, "error": error.__class__.__name__}


def _broker_state():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager", "detail": "tasks run in-process (no broker set)"}
    from qms_portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "mode": "broker"}
    except Exception as error:
        logger.warning("healthz: broker check failed: %s", error)
        return {"ok": False, "mode": "broker", "error": error.__class__.__name__}


def overall_status(checks):
    """The portal's state: "unavailable" without its database; "degraded" when only Redis (broker
    or cache) is down, since the portal still serves (tasks wait in the outbox, throttles count in
    each process); "ok" otherwise."""
    if not checks["database"]["ok"]:
        return "unavailable"
    return "ok" if all(check["ok"] for check in checks.values()) else "degraded"


@never_cache
def healthz(request):
    """Database, broker and cache state for load balancers and monitoring: 200 while the portal
    serves (ok or degraded, so a Redis outage does not take every node out), 503 without a
    database."""
    checks = {
        "database": _database_state(),
        "broker": _broker_state(),
        "cache": resilient_cache.shared_cache_state(),
    }
    status = overall_status(checks)
    return JsonResponse(
        {"status": status, **checks}, status=503 if status == "unavailable" else 200
    )


def csrf_failure(request, reason=""):
    return render(
        request,
        "403.html",
        {
            "reason": _(
                "Your form expired or was sent from another site. Reload the page and try again."
            )
        },
        status=403,
    )


def robots_txt(request):
    """Search engines may index the public citizen pages, nothing behind sign-in."""
    lines = ["User-agent: *", "Allow: /services/", "Allow: /open311/", "Disallow: /"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
