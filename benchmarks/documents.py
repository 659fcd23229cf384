"""Document register, search and home page under N documents, next to a trivial Django view.

    .venv/bin/python benchmarks/documents.py [--documents 100000] [--requests 30]

Uses its own database (SQLite under var/bench/, or DATABASE_URL if set — point it at a scratch
database), seeds the demo agency plus N documents with one revision each, then serves each page
through Django's test client (in-process, the same way for every page) and prints p50/p95 in
milliseconds and the SQL query count per page. The baseline is a view returning "ok" with no query.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QMS_VAR_DIR", str(ROOT / "var" / "bench"))
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

from documents.models import Document, Revision  # noqa: E402
from qms_portal.organisation.models import Department, Person  # noqa: E402


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), path("", include("qms_portal.urls"))]

TOPICS = [
    "supplier payment",
    "permit intake",
    "hotline ticket",
    "street vending",
    "staff training",
    "records retention",
    "budget approval",
    "complaint handling",
    "vehicle use",
    "procurement",
]


def seed(count):
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    existing = Document.objects.filter(number__startswith="BENCH-").count()
    if existing >= count:
        return
    departments = list(Department.objects.all())
    people = list(Person.objects.filter(agency__isnull=False))
    template = Revision.objects.filter(status="effective").first()
    batch = 5000
    for start in range(existing, count, batch):
        documents = Document.objects.bulk_create(
            [
                Document(
                    agency=departments[0].agency,
                    number=f"BENCH-{n:07d}",
                    title=f"{TOPICS[n % 10].title()} procedure {n}",
                    doc_type="procedure",
                    owner_department=departments[n % len(departments)],
                    owner=people[n % len(people)],
                    confidentiality="internal",
                    next_review_due=f"202{6 + n % 3}-0{1 + n % 9}-15",
                )
                for n in range(start, min(start + batch, count))
            ]
        )
        Revision.objects.bulk_create(
            [
                Revision(
                    document=d,
                    label="A",
                    change_summary="Imported",
                    author=d.owner,
                    status="effective",
                    file=template.file.name,
                    storage_name=template.storage_name,
                    original_filename="x.pdf",
                    file_kind="pdf",
                    file_size=template.file_size,
                    sha256=template.sha256,
                    effective_date="2025-01-01",
                    extracted_text=f"This procedure covers {TOPICS[i % 10]} step {i}.",
                )
                for i, d in enumerate(documents, start)
            ]
        )
        print(f"  seeded {min(start + batch, count)} documents", flush=True)


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
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    seed(args.documents)
    if connection.vendor == "postgresql":  # fresh planner statistics, as autovacuum would keep
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"Seeded in {time.perf_counter() - started:.1f} s; documents in register: {Document.objects.count()}"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(Person.objects.get(username="staff.liu"))
    # The quality manager's home page holds the escalations of every overdue document.
    quality_manager = Client(HTTP_HOST="127.0.0.1")
    quality_manager.force_login(Person.objects.get(username="qm.li"))
    pages = [
        ("baseline: trivial view", "/bench/trivial/"),
        ("register, page 1", "/documents/"),
        ("register, page 200", "/documents/?page=200"),
        (
            "register, filtered FIN + due",
            f"/documents/?department={Department.objects.get(code='FIN').pk}&due=on",
        ),
        ("search 'permit intake'", "/documents/?q=permit+intake"),
        ("search by number", "/documents/?q=BENCH-0042424"),
        ("home page (My work)", "/"),
        ("home page, quality manager", "/"),
    ]
    print(f"\n{'page':34} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8}")
    with override_settings(ROOT_URLCONF=__name__):
        for label, url in pages:
            reader = quality_manager if "quality manager" in label else client
            p50, p95, queries = measure(reader, url, args.requests)
            print(f"{label:34} {p50:9.1f} {p95:9.1f} {queries:8d}", flush=True)


if __name__ == "__main__":
    main()
