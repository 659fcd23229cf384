"""A pack scoped to one department and a period prints that department's records of that period:
other departments' documents, processes, risks, audits and nonconformities stay out, and so do
records closed before the period; the sections print rows, not just their headings."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audits.auditing.models import AuditProgramme
from audits.capa.models import Nonconformity
from audits.packs import content
from audits.packs.models import EvidencePack
from processes.models import Kpi, Measurement, Risk
from qms_portal.organisation.roles import Role
from tests.audits.conftest import clauses, plan, raise_nc
from tests.audits.packs.conftest import PERIOD, YEAR, define, pdf_pages_text
from tests.conftest import make_person
from tests.documents.conftest import draft_document, make_effective
from tests.processes.conftest import make_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(records, outsider, quality_manager, department_b, department_a, owner):
    """Department B's records in the period, and department A's records outside it."""
    document = draft_document(outsider, department_b, title="Street lighting procedure")
    make_effective(document.revisions.get(), reviewer=quality_manager, approver=quality_manager)
    process = make_process(code="SUP-09", owner=outsider, department=department_b, name="Lighting")
    Risk.objects.create(
        process=process,
        description="Lamp stock runs out",
        likelihood=2,
        impact=2,
        owner=outsider,
        review_date=date(YEAR + 1, 1, 1),
    )
    plan(
        AuditProgramme.objects.get(year=YEAR),
        quality_manager,
        department=department_b,
        lead=make_person("auditor_a", agency=owner.agency, roles=[Role.AUDITOR]),
        title="Lighting audit",
        clauses=clauses("8.1"),
        auditees=[outsider],
    )
    nc_b = raise_nc(quality_manager, department=department_b, owner=outsider)
    old = raise_nc(quality_manager, department=department_a, owner=owner)
    long_ago = timezone.make_aware(datetime(YEAR - 1, 3, 1, 10, 0))
    Nonconformity.objects.filter(pk=old.pk).update(
        raised_at=long_ago,
        closed_at=long_ago + timedelta(days=30),
        status=Nonconformity.Status.CLOSED,
    )
    kpi = Kpi.objects.get(process=records["process"])
    Measurement.objects.create(
        kpi=kpi, period=date(YEAR - 1, 12, 1), value=Decimal("50"), recorded_by=owner
    )
    return {"document": document, "process": process, "nc_b": nc_b, "old_nc": old}


@pytest.fixture
def scoped_pack(elsewhere, quality_manager, department_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack = define(quality_manager, departments=[department_a])
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.READY, pack.error
    assert (pack.period_start, pack.period_end) == PERIOD
    return pack


def test_other_departments_and_records_outside_the_period_are_left_out(
    scoped_pack, records, elsewhere
):
    data = content.gather(scoped_pack)
    assert [row["document"].number for row in data["documents"]] == [records["document"].number]
    assert [p.code for p in data["processes"]["processes"]] == ["CORE-01"]
    assert [r.description for r in data["risks"]["risks"]] == ["Backlog at the counter"]
    assert [row["audit"].pk for row in data["audits"]["audits"]] == [records["audit"].pk]
    assert [nc.pk for nc in data["nonconformities"]] == [records["nc"].pk]
    (kpi_row,) = data["processes"]["kpis"]
    assert [m.period.month for m in kpi_row["measurements"]] == [1, 2]  # not last December


def test_the_pdf_prints_rows_for_documents_nonconformities_and_risks_of_the_scope_only(
    scoped_pack, records, elsewhere
):
    text = " ".join(pdf_pages_text(scoped_pack))
    flat = " ".join(text.split())
    assert records["document"].number in flat
    assert records["nc"].reference in flat
    assert "Backlog at the counter" in flat
    for empty in (
        "No document in force in the scope.",
        "No nonconformity in the period.",
        "No risk recorded in the scope.",
    ):
        assert empty not in flat
    for left_out in (
        elsewhere["document"].number,
        "Street lighting procedure",
        "SUP-09",
        "Lamp stock runs out",
        "Lighting audit",
        elsewhere["nc_b"].reference,
        elsewhere["old_nc"].reference,
    ):
        assert left_out not in flat, left_out
