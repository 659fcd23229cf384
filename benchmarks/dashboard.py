"""Quality dashboard under N nonconformities and N actions, next to a trivial Django view.

    .venv/bin/python benchmarks/dashboard.py [--rows 100000] [--requests 30]

Uses its own database (SQLite under var/bench-dashboard/, or DATABASE_URL if set — point it at a
scratch database), seeds the demo agency plus N nonconformities and N actions with bulk_create,
then serves each page through Django's test client (in-process) and prints p50/p95 in
milliseconds and the SQL query count per page. The baseline is a view returning "ok".
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
os.environ.setdefault("QMS_VAR_DIR", str(ROOT / "var" / "bench-dashboard"))
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

from audits.capa.models import Action, Nonconformity  # noqa: E402
from processes.models import Clause, Process  # noqa: E402
from qms_portal.organisation.models import Department, Person  # noqa: E402


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), path("", include("qms_portal.urls"))]

STATUSES = list(Nonconformity.Status.values)
SOURCES = [s for s in Nonconformity.Source.values if s != "audit"]


def seed(count):
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    existing = Nonconformity.objects.filter(reference__startswith="BENCH-").count()
    if existing >= count:
        return
    qm = Person.objects.get(username="qm.li")
    agency = qm.agency
    departments = list(Department.objects.filter(agency=agency))
    processes = list(Process.objects.filter(agency=agency))
    clauses = list(Clause.objects.all())
    people = list(Person.objects.filter(agency=agency))
    now, today = timezone.now(), timezone.localdate()
    batch = 5000
    for start in range(existing, count, batch):
        ncs = Nonconformity.objects.bulk_create(
            [
                Nonconformity(
                    agency=agency,
                    reference=f"BENCH-{n:07d}",
                    source=SOURCES[n % len(SOURCES)],
                    description=f"Benchmark nonconformity {n}",
                    department=departments[n % len(departments)],
                    process=processes[n % len(processes)] if n % 4 else None,
                    clause=clauses[n % len(clauses)],
                    severity="major" if n % 5 == 0 else "minor",
                    status=STATUSES[n % len(STATUSES)],
                    owner=people[n % len(people)],
                    raised_by=qm,
                    raised_at=now - timedelta(days=n % 700),
                )
                for n in range(start, min(start + batch, count))
            ]
        )
        Action.objects.bulk_create(
            [
                Action(
                    agency=agency,
                    kind="corrective",
                    title=f"Benchmark action {i}",
                    owner=nc.owner,
                    department=nc.department,
                    due_date=today + timedelta(days=(i % 120) - 60),
                    status="open" if i % 3 else "done",
                    nonconformity=nc,
                    created_by=qm,
                )
                for i, nc in enumerate(ncs, start)
            ]
        )
        print(f"  seeded {min(start + batch, count)} nonconformities and actions", flush=True)


def measure(client, url, requests):
    client.get(url)  # warm up
    timings = []
    connection.queries_log.clear()  # DEBUG keeps a bounded log; a full one would hide new queries
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, len(queries.captured_queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="nonconformities (and actions)")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    seed(args.rows)
    if connection.vendor == "postgresql":  # fresh planner statistics, as autovacuum would keep
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"Seeded in {time.perf_counter() - started:.1f} s; nonconformities: "
        f"{Nonconformity.objects.count()}, actions: {Action.objects.count()}"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(Person.objects.get(username="qm.li"))
    fin = Department.objects.get(code="FIN").pk
    year = timezone.localdate().year
    pages = [
        ("baseline: trivial view", "/bench/trivial/"),
        ("dashboard", "/audits/dashboard/"),
        ("dashboard, FIN", f"/audits/dashboard/?department={fin}"),
        ("dashboard, last year", f"/audits/dashboard/?start={year - 1}-01-01&end={year - 1}-12-31"),
        ("nonconformities, open", "/audits/nonconformities/?status=open"),
        ("actions, overdue", "/audits/actions/?overdue=on"),
    ]
    print(f"\n{'page':34} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8}")
    with override_settings(ROOT_URLCONF=__name__):
        for label, url in pages:
            p50, p95, queries = measure(client, url, args.requests)
            print(f"{label:34} {p50:9.1f} {p95:9.1f} {queries:8d}", flush=True)


if __name__ == "__main__":
    main()
