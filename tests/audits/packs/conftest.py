"""The evidence-pack test world: the shared personas plus, in department A, an effective document
with a Chinese title, a process with a KPI and a risk, a closed-loop nonconformity, an audit and
a management review; and helpers to define, build, share and read back packs."""

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from audits.packs import workflow as pack_workflow
from audits.packs.models import EvidencePack
from audits.review import workflow as review_workflow
from documents import workflow as document_workflow
from processes.models import Clause, Kpi, Measurement, Risk
from tests.audits.conftest import clauses, plan, raise_nc
from tests.documents.conftest import draft_document, make_effective
from tests.processes.conftest import make_process

YEAR = timezone.localdate().year
PERIOD = (date(YEAR, 1, 1), date(YEAR, 12, 31))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def records(owner, colleague, quality_manager, auditor, department_a):
    """Department A's quality records, made through the workflows."""
    document = draft_document(owner, department_a, title="付款程序 Paying suppliers")
    revision = make_effective(
        document.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    document_workflow.assign_reading(revision_id=revision.pk, actor=owner, people=[colleague])
    process = make_process(code="CORE-01", owner=owner, department=department_a, name="行政许可")
    process.clauses.set(clauses("8.1", "8.2"))
    process.documents.set([document])
    kpi = Kpi.objects.create(
        process=process,
        name="On-time decisions",
        unit="%",
        target=95,
        amber_threshold=90,
        red_threshold=80,
    )
    for month, value in ((1, "97"), (2, "85")):
        Measurement.objects.create(
            kpi=kpi, period=date(YEAR, month, 1), value=Decimal(value), recorded_by=owner
        )
    Risk.objects.create(
        process=process,
        description="Backlog at the counter",
        likelihood=3,
        impact=4,
        owner=owner,
        review_date=date(YEAR + 1, 1, 1),
    )
    programme = audit_workflow.programme_create(
        actor=quality_manager, agency=department_a.agency, year=YEAR, title=f"Programme {YEAR}"
    )
    audit = plan(
        programme,
        quality_manager,
        department=department_a,
        lead=auditor,
        processes=[process],
        clauses=clauses("8.1", "7.5"),
        auditees=[owner],
    )
    nc = raise_nc(quality_manager, department=department_a, owner=owner)
    # The clause catalogue is a data migration; transactional tests may have flushed it.
    nc.clause = Clause.objects.filter(number="8.5.1").first()
    nc.save()
    review_workflow.review_create(
        actor=quality_manager,
        title="Management review",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        meeting_date=timezone.localdate(),
        chair=quality_manager,
    )
    return {
        "document": document,
        "revision": revision,
        "process": process,
        "audit": audit,
        "nc": nc,
    }


def define(quality_manager, *, departments=(), **extra):
    extra.setdefault("title", "Surveillance audit 2026 · 监督审核")
    return pack_workflow.pack_define(
        actor=quality_manager,
        agency=quality_manager.agency,
        period_start=extra.pop("period_start", PERIOD[0]),
        period_end=extra.pop("period_end", PERIOD[1]),
        departments=departments,
        **extra,
    )


@pytest.fixture
def pack(quality_manager, department_a, records, django_capture_on_commit_callbacks):
    """A pack of department A, built (the outbox runs the task in-process after commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        defined = define(quality_manager, departments=[department_a])
    defined.refresh_from_db()
    assert defined.status == EvidencePack.Status.READY, defined.error
    return defined


def build_again(pack, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack_workflow.pack_rebuild(pack=pack, actor=actor)
    pack.refresh_from_db()
    return pack


def zip_path(pack):
    return Path(settings.MEDIA_ROOT) / pack.zip_path


def zip_bytes(pack):
    return zip_path(pack).read_bytes()


def zip_members(pack):
    with zipfile.ZipFile(io.BytesIO(zip_bytes(pack))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def manifest(pack):
    return json.loads(zip_members(pack)["manifest.json"])


def pdf_reader(pack):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(zip_members(pack)[pack.pdf_name]))


def pdf_pages_text(pack):
    return [page.extract_text() for page in pdf_reader(pack).pages]


def share(pack, quality_manager, certifier, days=30):
    return pack_workflow.pack_share(
        pack=pack,
        actor=quality_manager,
        certifier=certifier,
        expires_on=timezone.localdate() + timedelta(days=days),
    )
