"""A disposal run: proposed, approved by someone else (signed), executed; holds and open packs
keep records; every disposal leaves a disposal record; the audit trail stays intact."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from audits.capa import workflow as capa_workflow
from audits.capa.models import Action, Nonconformity
from audits.packs.models import EvidencePack
from documents.models import Document, Signature
from qms_portal.protection import RecordIsProtected
from qms_portal.signatures import SignatureIsFinal
from retention import workflow
from retention.models import DisposalRecord, DisposalRecordIsFinal, RecordType
from services.models import ServiceRequest
from tests.audits.conftest import nc_to_implemented, raise_nc
from tests.conftest import PASSWORD
from tests.retention.conftest import approved_run, closed_request, obsolete_document

OLD = 3 * 365 + 20


def test_the_proposer_cannot_approve_their_own_run(rules, service, owner, quality_manager):
    closed_request(service, owner, days_ago=OLD)
    run = workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])
    with pytest.raises(PermissionDenied):
        workflow.run_approve(run=run, actor=quality_manager, password=PASSWORD)
    run.refresh_from_db()
    assert run.status == run.Status.PROPOSED and not run.approvals.exists()


def test_a_wrong_password_approves_nothing(rules, service, owner, quality_manager, second_manager):
    closed_request(service, owner, days_ago=OLD)
    run = workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])
    with pytest.raises(workflow.RetentionRuleError):
        workflow.run_approve(run=run, actor=second_manager, password="wrong")
    run.refresh_from_db()
    assert run.status == run.Status.PROPOSED


def test_nothing_is_disposed_of_before_execution(
    rules, service, owner, quality_manager, second_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    assert ServiceRequest.objects.filter(pk=request.pk).exists()


def test_execution_deletes_due_records_and_keeps_a_disposal_record(
    agency, rules, service, owner, quality_manager, second_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    run = approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    workflow.run_execute(run=run, actor=quality_manager)
    assert not ServiceRequest.objects.filter(pk=request.pk).exists()
    record = DisposalRecord.objects.get()
    assert (record.record_type, record.object_id, record.action) == (
        "requests",
        request.pk,
        "delete",
    )
    assert (record.approved_by, record.executed_by, record.rule_years) == (
        second_manager,
        quality_manager,
        3,
    )
    assert "Secretname" not in f"{record.reference} {record.title}"
    run.refresh_from_db()
    assert run.status == run.Status.COMPLETED


def test_an_open_evidence_pack_protects_the_records_it_covers(
    agency, rules, service, owner, quality_manager, second_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    run = approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    start = (timezone.now() - timedelta(days=OLD + 30)).date()
    EvidencePack.objects.create(
        agency=agency,
        reference="EP-1",
        title="Certification",
        period_start=start,
        period_end=start + timedelta(days=365),
        sections=["services"],
        defined_by=quality_manager,
        status=EvidencePack.Status.QUEUED,
    )
    workflow.run_execute(run=run, actor=quality_manager)
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    assert "evidence pack" in run.candidates.get().skip_reason


def test_a_record_other_records_protect_is_kept_with_the_reason(
    agency, rules, service, owner, quality_manager, second_manager, department_a
):
    request = closed_request(service, owner, days_ago=OLD)
    Nonconformity.objects.create(
        agency=agency,
        reference="NC-1",
        source=Nonconformity.Source.COMPLAINT,
        service_request=request,
        description="Complaint",
        department=department_a,
        owner=quality_manager,
        raised_by=quality_manager,
    )
    run = approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    workflow.run_execute(run=run, actor=quality_manager)
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    assert "refer to it" in run.candidates.get().skip_reason


def test_signed_documents_are_disposed_of_only_inside_a_run_and_the_trail_stays_intact(
    agency, rules, owner, department_a, colleague, quality_manager, second_manager, capsys
):
    document = obsolete_document(owner, department_a, reviewer=colleague, approver=quality_manager)
    with pytest.raises(SignatureIsFinal), transaction.atomic():  # refused outside a run
        Signature.objects.filter(revision__document=document).delete()
    run = approved_run(quality_manager, second_manager, [RecordType.DOCUMENTS])
    workflow.run_execute(run=run, actor=quality_manager)
    assert not Document.objects.filter(pk=document.pk).exists()
    assert DisposalRecord.objects.get().reference == document.number
    call_command("verify_audit_trail")  # raises CommandError on any problem
    assert "problems" not in capsys.readouterr().out


def test_disposal_records_cannot_be_changed_or_deleted(
    rules, service, owner, quality_manager, second_manager
):
    closed_request(service, owner, days_ago=OLD)
    run = approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    workflow.run_execute(run=run, actor=quality_manager)
    record = DisposalRecord.objects.get()
    with pytest.raises(DisposalRecordIsFinal):
        record.delete()
    with pytest.raises(DisposalRecordIsFinal), transaction.atomic():
        DisposalRecord.objects.all().delete()
    record.title = "changed"
    with pytest.raises(DisposalRecordIsFinal):
        record.save()
    assert DisposalRecord.objects.count() == 1


def test_a_closed_nonconformity_past_its_period_is_disposed_of_with_its_actions(
    agency, rules, owner, department_a, colleague, quality_manager, second_manager, settings
):
    """Closed nonconformities are protected everywhere (admin, queryset delete, cascade); an
    approved run is the one way they go, and the audit trail still verifies afterwards."""
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0
    nc = nc_to_implemented(
        raise_nc(quality_manager, department=department_a, owner=owner), owner, colleague
    )
    capa_workflow.nc_verify(nc=nc, actor=quality_manager, effective=True, notes="No repeat.")
    # history-exempt: backdating the closure for the test (6 years' retention)
    Nonconformity.objects.filter(pk=nc.pk).update(
        closed_at=timezone.now() - timedelta(days=7 * 365)
    )
    with pytest.raises(RecordIsProtected), transaction.atomic():  # refused outside a run
        Nonconformity.objects.filter(pk=nc.pk).delete()
    run = approved_run(quality_manager, second_manager, [RecordType.NONCONFORMITIES])
    workflow.run_execute(run=run, actor=quality_manager)
    assert not Nonconformity.all_records.filter(pk=nc.pk).exists()
    assert not Action.objects.filter(nonconformity_id=nc.pk).exists()
    record = DisposalRecord.objects.get()
    assert (record.record_type, record.object_id, record.reference) == (
        "nonconformities",
        nc.pk,
        nc.reference,
    )
    call_command("verify_audit_trail", stdout=open("/dev/null", "w"))  # raises on any problem
