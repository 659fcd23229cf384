"""The audit report: signatures of lead auditor and auditee, closing, and the PDF read back."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from pypdf import PdfReader

from audits.auditing import workflow
from audits.auditing.models import Audit, ReportSignature
from tests.audits.conftest import run_audit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LEAD, AUDITEE = ReportSignature.Meaning.LEAD_AUDITOR, ReportSignature.Meaning.AUDITEE


@pytest.fixture
def reported(audit, auditor):
    run_audit(audit, auditor, results={0: "minor"})
    return workflow.audit_report(
        audit=audit, actor=auditor, summary="The licensing process is effective."
    )


def test_both_signatures_close_the_audit(reported, auditor, owner):
    workflow.audit_sign(audit=reported, signer=auditor, password=PASSWORD, meaning=LEAD)
    with pytest.raises(workflow.AuditRuleError, match="auditee representative"):
        workflow.audit_close(audit=reported, actor=auditor)
    workflow.audit_sign(audit=reported, signer=owner, password=PASSWORD, meaning=AUDITEE)
    audit = workflow.audit_close(audit=reported, actor=auditor)
    assert audit.status == Audit.Status.CLOSED
    assert all(s.is_intact() for s in audit.signatures.all())


def test_wrong_password_signs_nothing(reported, auditor):
    with pytest.raises(workflow.AuditRuleError, match="password"):
        workflow.audit_sign(audit=reported, signer=auditor, password="wrong", meaning=LEAD)
    assert not ReportSignature.objects.exists()


def test_only_the_lead_auditor_signs_as_lead(reported, owner, colleague):
    with pytest.raises(PermissionDenied):
        workflow.audit_sign(audit=reported, signer=owner, password=PASSWORD, meaning=LEAD)
    with pytest.raises(PermissionDenied):
        workflow.audit_sign(audit=reported, signer=colleague, password=PASSWORD, meaning=AUDITEE)


def test_a_changed_report_must_be_signed_again(reported, auditor, owner):
    workflow.audit_sign(audit=reported, signer=auditor, password=PASSWORD, meaning=LEAD)
    workflow.audit_sign(audit=reported, signer=owner, password=PASSWORD, meaning=AUDITEE)
    Audit.objects.filter(pk=reported.pk).update(summary="Edited behind the signatures")
    with pytest.raises(workflow.AuditRuleError, match="signed again"):
        workflow.audit_close(audit=reported, actor=auditor)


def test_impossible_transition_is_refused(audit, auditor):
    with pytest.raises(workflow.AuditRuleError, match="planned, so it cannot be closed"):
        workflow.audit_close(audit=audit, actor=auditor)


def test_auditee_cannot_start_the_audit(audit, owner):
    with pytest.raises(PermissionDenied):
        workflow.audit_start(audit=audit, actor=owner)


def test_report_pdf_has_scope_team_findings_and_signatures(client, reported, auditor, owner):
    workflow.audit_sign(audit=reported, signer=auditor, password=PASSWORD, meaning=LEAD)
    workflow.audit_sign(audit=reported, signer=owner, password=PASSWORD, meaning=AUDITEE)
    client.force_login(auditor)
    response = client.get(reverse("auditing:audit_pdf", args=[reported.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in [
        reported.reference,
        "Licensing decisions, counter to archive",
        "Auditor",  # lead auditor's printed name (first name from the persona)
        "Owner",  # auditee
        "Minor nonconformity",
        "Evidence 0",
        "Lead auditor",
        "Auditee representative",
        "The licensing process is effective.",
    ]:
        assert expected in text, expected


def test_signing_through_the_page_with_a_wrong_password_is_a_400(client, reported, auditor):
    client.force_login(auditor)
    response = client.post(
        reverse("auditing:audit_sign", args=[reported.pk]), {"meaning": LEAD, "password": "nope"}
    )
    assert response.status_code == 400
    assert "password is not correct" in response.content.decode()
    assert not ReportSignature.objects.exists()


def test_audit_page_lifecycle_buttons(client, audit, auditor):
    client.force_login(auditor)
    assert client.post(reverse("auditing:audit_start", args=[audit.pk])).status_code == 302
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS
    response = client.post(reverse("auditing:audit_report", args=[audit.pk]), {"summary": "x"})
    assert response.status_code == 400 and "no result yet" in response.content.decode()
    assert client.get(audit.get_absolute_url()).status_code == 200
