"""Checklists generated from the criteria and processes, edited, and filled with results."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.auditing import workflow
from audits.auditing.models import Audit, ChecklistItem, Evidence
from audits.capa.models import Nonconformity
from tests.audits.conftest import evidence_pdf_bytes, run_audit

pytestmark = pytest.mark.django_db

PDF_BYTES = evidence_pdf_bytes()


def test_checklist_is_generated_from_clauses_and_processes(audit, auditor, process):
    created = workflow.checklist_generate(audit=audit, actor=auditor)
    pairs = {(i.clause.number, i.process.code if i.process else None) for i in created}
    # 8.1 and 8.2 are addressed by the process in scope; 7.5 by none of them
    assert pairs == {("8.1", process.code), ("8.2", process.code), ("7.5", None)}
    assert all(item.question for item in created)


def test_generating_again_adds_nothing(audit, auditor):
    workflow.checklist_generate(audit=audit, actor=auditor)
    assert workflow.checklist_generate(audit=audit, actor=auditor) == []
    assert audit.checklist.count() == 3


def test_checklist_is_editable_while_planned(audit, auditor):
    workflow.checklist_generate(audit=audit, actor=auditor)
    item = workflow.checklist_add(audit=audit, actor=auditor, question="Are complaints logged?")
    assert audit.checklist.count() == 4
    workflow.checklist_remove(item=item, actor=auditor)
    assert audit.checklist.count() == 3


def test_outsider_cannot_edit_the_checklist(client, audit, outsider):
    client.force_login(outsider)
    response = client.post(reverse("auditing:checklist_add", args=[audit.pk]), {"question": "x"})
    assert response.status_code == 404  # not in department A, not on the team
    assert audit.checklist.count() == 0


def test_results_are_recorded_with_evidence_and_file(audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    item = audit.checklist.first()
    upload = SimpleUploadedFile("interview.pdf", PDF_BYTES, content_type="application/pdf")
    workflow.checklist_record(
        item=item, actor=auditor, result="minor", evidence="Two files unsigned.", upload=upload
    )
    item.refresh_from_db()
    assert item.result == "minor" and item.assessed_by == auditor
    evidence = Evidence.objects.get(item=item)
    assert evidence.file_kind == "pdf" and evidence.original_filename == "interview.pdf"


def test_disguised_file_is_refused_and_nothing_is_saved(audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    item = audit.checklist.first()
    upload = SimpleUploadedFile("photo.png", PDF_BYTES, content_type="image/png")
    with pytest.raises(workflow.AuditRuleError, match="named"):
        workflow.checklist_record(item=item, actor=auditor, result="conforming", upload=upload)
    item.refresh_from_db()
    assert item.result == "" and not Evidence.objects.exists()


def test_bad_upload_through_the_page_is_a_400(client, audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    item = audit.checklist.first()
    client.force_login(auditor)
    upload = SimpleUploadedFile(
        "notes.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = client.post(
        reverse("auditing:checklist_record", args=[item.pk]),
        {"result": "conforming", "attachment": upload},
    )
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    item.refresh_from_db()
    assert item.result == ""


def test_a_nonconformity_needs_evidence_notes(audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    with pytest.raises(workflow.AuditRuleError, match="objective evidence"):
        workflow.checklist_record(
            item=audit.checklist.first(), actor=auditor, result="major", evidence=""
        )


def test_results_only_while_in_progress(audit, auditor):
    workflow.checklist_generate(audit=audit, actor=auditor)
    with pytest.raises(workflow.AuditRuleError, match="in progress"):
        workflow.checklist_record(item=audit.checklist.first(), actor=auditor, result="conforming")


def test_reporting_needs_every_result(audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    with pytest.raises(workflow.AuditRuleError, match="no result yet"):
        workflow.audit_report(audit=audit, actor=auditor, summary="Done")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS


def test_findings_become_nonconformities_when_the_audit_reports(audit, auditor, owner):
    run_audit(audit, auditor, results={0: "major", 1: "observation"})
    workflow.audit_report(audit=audit, actor=auditor, summary="One major finding.")
    nc = Nonconformity.objects.get()
    finding = audit.checklist.get(result="major")
    assert nc.finding == finding and nc.source == "audit" and nc.severity == "major"
    assert nc.owner == owner  # head of the audited department
    assert nc.clause == finding.clause and nc.department == audit.department


def test_result_choices_cover_the_standard_outcomes():
    assert set(ChecklistItem.Result.values) == {
        "",
        "conforming",
        "minor",
        "major",
        "observation",
        "improvement",
        "not_applicable",
    }
