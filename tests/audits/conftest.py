"""The audits test world: the shared personas, a process in each department, an audit
programme for this year and an audit of department A led by the auditor (department B)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from audits.capa import workflow as capa_workflow
from audits.capa.models import Nonconformity
from processes.models import Clause
from tests.processes import conftest as processes_world

# The processes world's fixtures, shared here: a process in each department and a monthly KPI.
make_process = processes_world.make_process
process, process_b, kpi = processes_world.process, processes_world.process_b, processes_world.kpi


def clauses(*numbers):
    return list(Clause.objects.filter(number__in=numbers))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def programme(quality_manager, agency, today):
    return audit_workflow.programme_create(
        actor=quality_manager, agency=agency, year=today.year, title=f"Audit programme {today.year}"
    )


def plan(programme, actor, *, department, lead, start=None, days=1, **extra):
    start = start or date(programme.year, 1, 1)
    return audit_workflow.audit_plan(
        actor=actor,
        programme=programme,
        title=extra.pop("title", "Licensing audit"),
        department=department,
        scope=extra.pop("scope", "Licensing decisions, counter to archive"),
        lead_auditor=lead,
        planned_start=start,
        planned_end=start + timedelta(days=days),
        **extra,
    )


@pytest.fixture
def audit(programme, quality_manager, auditor, owner, department_a, process):
    process.clauses.set(clauses("8.1", "8.2"))
    return plan(
        programme,
        quality_manager,
        department=department_a,
        lead=auditor,
        processes=[process],
        clauses=clauses("8.1", "8.2", "7.5"),
        auditees=[owner],
    )


def evidence_pdf_bytes():
    """A real one-page PDF: uploads are parsed, so a few bytes that only start like a PDF are
    refused as damaged."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def run_audit(audit, auditor, results=None):
    """Start the audit and give every item a result (default conforming)."""
    audit_workflow.audit_start(audit=audit, actor=auditor)
    for n, item in enumerate(audit.checklist.order_by("position")):
        result = (results or {}).get(n, "conforming")
        audit_workflow.checklist_record(
            item=item, actor=auditor, result=result, evidence=f"Evidence {n}"
        )
    return audit


def raise_nc(actor, *, department, owner, severity="minor"):
    return capa_workflow.nc_raise(
        actor=actor,
        source=Nonconformity.Source.STAFF,
        description="Permit decisions were sent without the second signature.",
        department=department,
        severity=severity,
        owner=owner,
    )


def nc_to_implemented(nc, owner, colleague):
    capa_workflow.nc_contain(
        nc=nc, actor=owner, containment="Recalled the three permits and re-signed them."
    )
    capa_workflow.nc_analyse(
        nc=nc,
        actor=owner,
        method="five_whys",
        analysis={"whys": ["No second check", "Checklist lacks the step"]},
        root_cause="The counter checklist lacks the second-signature step.",
    )
    capa_workflow.nc_plan(
        nc=nc,
        actor=owner,
        actions=[
            {
                "title": "Add the step to the checklist",
                "owner": colleague,
                "due_date": timezone.localdate() + timedelta(days=10),
            }
        ],
    )
    for action in nc.actions.all():
        capa_workflow.action_complete(action=action, actor=colleague, note="Checklist updated.")
    return capa_workflow.nc_implement(nc=nc, actor=owner)
