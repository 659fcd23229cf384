"""Evidence pack build for an agency with 1,000 effective documents, 200 nonconformities and a
year of citizen requests; prints pages, seconds, peak memory and WeasyPrint's own share.

    .venv/bin/python benchmarks/evidence_pack.py [--documents 1000] [--ncs 200] [--requests 20000]

Uses its own database (SQLite under var/bench-packs/, or DATABASE_URL if set — point it at a
scratch database), seeds the demo agency plus the records above with bulk_create, then builds one
whole-agency pack with every section in-process (the same code the Celery task runs) and renders
the same final HTML again with WeasyPrint alone.
"""

import argparse
import os
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QMS_VAR_DIR", str(ROOT / "var" / "bench-packs"))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audits.capa.models import Nonconformity  # noqa: E402
from audits.packs import workflow as pack_workflow  # noqa: E402
from audits.packs.build import Builder  # noqa: E402
from documents.models import Document, Revision, Signature  # noqa: E402
from qms_portal import outbox  # noqa: E402
from qms_portal import pdf as rendering  # noqa: E402
from qms_portal.organisation.models import Department, Person  # noqa: E402
from services.models import Service, ServiceRequest, new_tracking_code  # noqa: E402

TOPICS = ["licensing", "payments", "archives", "complaints", "permits", "hiring", "budgets"]
STATES = ["submitted", "acknowledged", "in_progress", "resolved", "closed", "rejected"]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def seed_documents(count, agency, people):
    existing = Document.objects.filter(number__startswith="BENCH-").count()
    if existing >= count:
        return
    departments = list(Department.objects.filter(agency=agency).order_by("pk"))
    template = Revision.objects.filter(status="effective", file_kind="pdf").first()
    documents = Document.objects.bulk_create(
        Document(
            agency=agency,
            number=f"BENCH-{n:05d}",
            title=f"{TOPICS[n % len(TOPICS)].title()} procedure {n} · 程序 {n}",
            doc_type="procedure",
            owner_department=departments[n % len(departments)],
            owner=people[n % len(people)],
        )
        for n in range(existing, count)
    )
    revisions = Revision.objects.bulk_create(
        Revision(
            document=d,
            label="A",
            change_summary="Imported",
            author=d.owner,
            status="effective",
            file=template.file.name,
            storage_name=template.storage_name,
            original_filename="procedure.pdf",
            file_kind="pdf",
            file_size=template.file_size,
            sha256=template.sha256,
            effective_date=date(2025, 1, 1),
        )
        for d in documents
    )
    signatures = []
    for revision in revisions:
        for meaning, signer in (("reviewed", people[0]), ("approved", people[1])):
            signature = Signature(
                revision=revision,
                signer=signer,
                printed_name=signer.display_name,
                meaning=meaning,
                signed_at=timezone.now(),
                review_round=1,
                revision_fingerprint=revision.fingerprint(),
            )
            signature.digest = signature.compute_digest()
            signatures.append(signature)
    Signature.objects.bulk_create(signatures)


def seed_nonconformities(count, agency, people):
    existing = Nonconformity.objects.filter(reference__startswith="BENCH-").count()
    departments = list(Department.objects.filter(agency=agency).order_by("pk"))
    now = timezone.now()
    Nonconformity.objects.bulk_create(
        Nonconformity(
            agency=agency,
            reference=f"BENCH-NC-{n:04d}",
            source="staff",
            description=f"Benchmark nonconformity {n}: files without the second signature.",
            department=departments[n % len(departments)],
            severity="minor",
            status="open",
            owner=people[n % len(people)],
            raised_by=people[0],
            raised_at=now - timedelta(days=n % 300),
        )
        for n in range(existing, count)
    )


def seed_requests(count):
    existing = ServiceRequest.objects.filter(description__startswith="BENCH ").count()
    services = list(Service.objects.public().order_by("pk"))
    now = timezone.now()
    minutes = 365 * 24 * 60 // max(count, 1)
    rows = []
    for n in range(existing, count):
        service = services[n % len(services)]
        submitted = now - timedelta(minutes=n * minutes)
        status = STATES[n % len(STATES)]
        done = submitted + timedelta(days=n % 6) if status in ("resolved", "closed") else None
        rows.append(
            ServiceRequest(
                service=service,
                department_id=service.department_id,
                tracking_code=new_tracking_code(),
                status=status,
                channel="web",
                description=f"BENCH request {n}",
                submitted_at=submitted,
                updated_at=done or submitted,
                due_date=(submitted + timedelta(days=5)).date(),
                resolved_at=done,
                closed_at=done if status == "closed" else None,
                rating=(n % 5) + 1 if status == "closed" else None,
            )
        )
    ServiceRequest.objects.bulk_create(rows, batch_size=5000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--ncs", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20000, help="spread over one year")
    args = parser.parse_args()
    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    qm = Person.objects.get(username="qm.li")
    people = list(Person.objects.filter(agency=qm.agency).order_by("pk"))
    seed_documents(args.documents, qm.agency, people)
    seed_nonconformities(args.ncs, qm.agency, people)
    seed_requests(args.requests)
    effective = Revision.objects.filter(status="effective").count()
    print(
        f"Seeded in {time.perf_counter() - started:.1f} s: {effective} effective documents, "
        f"{Nonconformity.objects.count()} nonconformities, "
        f"{ServiceRequest.objects.count()} service requests"
    )
    today = timezone.localdate()
    # Build once, measured here, not also through the outbox (eager without REDIS_URL).
    outbox.enqueue = lambda *args, **kwargs: None
    pack = pack_workflow.pack_define(
        actor=qm,
        agency=qm.agency,
        title="Benchmark pack",
        period_start=today - timedelta(days=365),
        period_end=today,
    )
    rss_before = peak_rss_mb()
    builder = Builder(pack)
    started = time.perf_counter()
    result = builder.run()
    build_seconds = time.perf_counter() - started
    rss_after = peak_rss_mb()
    started = time.perf_counter()
    _, pages = rendering.render_pdf(builder.rendered_html, identifier="0" * 32)
    weasy_seconds = time.perf_counter() - started
    size = (Path(django.conf.settings.MEDIA_ROOT) / result.zip_path).stat().st_size
    print(f"Pack {pack.reference}: {result.page_count} pages, {result.file_count} files in the ZIP")
    print(f"  ZIP size:                        {size / 1e6:.1f} MB")
    print(f"  build, end to end:               {build_seconds:.1f} s")
    print(f"  WeasyPrint alone, same HTML:     {weasy_seconds:.1f} s ({pages} pages)")
    print(f"  overhead (gather, files, ZIP):   {build_seconds - weasy_seconds:.1f} s")
    print(f"  peak memory (max RSS) before the build: {rss_before:.0f} MB")
    print(f"  peak memory (max RSS) after the build:  {rss_after:.0f} MB")


if __name__ == "__main__":
    main()
