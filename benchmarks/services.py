"""Public submission and Open311 GET requests.json under N stored requests, next to a trivial view.

    .venv/bin/python benchmarks/services.py [--requests-stored 200000] [--requests 200]

Uses its own database (SQLite under var/bench-services/, or DATABASE_URL if set — point it at a
scratch database), seeds the demo agency plus N citizen requests (bulk_create), then serves each
page through Django's test client (in-process, the same way for every page) and prints requests per
second, p50 in milliseconds and the SQL query count. The baseline is a view returning "ok".
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QMS_VAR_DIR", str(ROOT / "var" / "bench-services"))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from services.models import Service, ServiceRequest, new_tracking_code  # noqa: E402


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), path("", include("qms_portal.urls"))]

STATES = ["received", "acknowledged", "in_progress", "resolved", "closed", "rejected"]


def seed(count):
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    existing = ServiceRequest.objects.filter(description__startswith="BENCH ").count()
    services = list(Service.objects.public())
    now = timezone.now()
    batch = 5000
    for start in range(existing, count, batch):
        rows = []
        for n in range(start, min(start + batch, count)):
            service = services[n % len(services)]
            submitted = now - timedelta(minutes=n * 3)  # 200,000 requests span about 14 months
            status = STATES[n % len(STATES)]
            done = (
                submitted + timedelta(days=2)
                if status in ("resolved", "closed", "rejected")
                else None
            )
            rows.append(
                ServiceRequest(
                    service=service,
                    department_id=service.department_id,
                    tracking_code=new_tracking_code(),
                    status=status,
                    channel="web",
                    description=f"BENCH request {n} about {service.name_en}",
                    address=f"{n % 500} Jianshe Road",
                    lat="22.579",
                    long="113.0815",
                    submitted_at=submitted,
                    updated_at=done or submitted,
                    due_date=(submitted + timedelta(days=5)).date(),
                    resolved_at=done if status in ("resolved", "closed") else None,
                    closed_at=done if status in ("closed", "rejected") else None,
                    public_note="Done." if done else "",
                    rating=(n % 5) + 1 if status == "closed" else None,
                )
            )
        ServiceRequest.objects.bulk_create(rows)
        print(f"  seeded {min(start + batch, count)} requests", flush=True)


def measure(label, call, requests):
    call()  # warm up
    connection.queries_log.clear()  # DEBUG keeps a bounded log; a full one would hide new queries
    with CaptureQueriesContext(connection) as queries:
        call()
    timings = []
    started = time.perf_counter()
    for _n in range(requests):
        began = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code in (200, 302), (label, response.status_code)
    elapsed = time.perf_counter() - started
    print(
        f"{label:40} {requests / elapsed:9.1f} {statistics.median(timings):9.1f} "
        f"{len(queries.captured_queries):8d}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests-stored", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    seed(args.requests_stored)
    if connection.vendor == "postgresql":  # fresh planner statistics, as autovacuum would keep
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"Seeded in {time.perf_counter() - started:.1f} s; "
        f"citizen requests stored: {ServiceRequest.objects.count()}"
    )
    service = Service.objects.get(code="URB-LITTER")  # no required questions
    form = {"description": "Rubbish left at the bus stop", "address": "Bus stop, Jianshe Road"}
    client = Client(HTTP_HOST="127.0.0.1")
    pages = [
        ("baseline: trivial view (GET)", lambda: client.get("/bench/trivial/")),
        ("baseline: trivial view (POST)", lambda: client.post("/bench/trivial/", form)),
        ("public submit (POST form)", lambda: client.post(f"/services/s/{service.code}/", form)),
        ("Open311 GET requests.json", lambda: client.get("/open311/v2/requests.json")),
        (
            "Open311 GET requests.json?status=open",
            lambda: client.get("/open311/v2/requests.json", {"status": "open"}),
        ),
        ("Open311 GET services.json", lambda: client.get("/open311/v2/services.json")),
    ]
    print(f"\n{'page':40} {'req/s':>9} {'p50 ms':>9} {'queries':>8}")
    with override_settings(ROOT_URLCONF=__name__, SERVICES_SUBMIT_LIMIT=10**9):
        for label, call in pages:
            measure(label, call, args.requests)


if __name__ == "__main__":
    main()
