"""A signature, once given, is final everywhere: no save, delete, queryset delete or admin form
changes or removes one (an auditor once deleted an audit report signature in the admin and the
chain still read intact)."""

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from audits.auditing.models import ReportSignature
from documents.models import Signature
from qms_portal.signatures import SignatureBase, SignatureIsFinal
from tests.audits.conftest import plan, run_audit
from tests.conftest import PASSWORD, make_person
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(agency):
    return make_person("root", agency=agency, is_staff=True, is_superuser=True)


@pytest.fixture
def document_signature(settings, tmp_path, owner, department_a, colleague, quality_manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    revision = draft_document(owner, department_a).revisions.get()
    make_effective(revision, reviewer=colleague, approver=quality_manager)
    return Signature.objects.get(meaning="approved")


@pytest.fixture
def report_signature(agency, quality_manager, auditor, department_a):
    programme = audit_workflow.programme_create(
        actor=quality_manager, agency=agency, year=timezone.localdate().year, title="Programme"
    )
    audit = plan(programme, quality_manager, department=department_a, lead=auditor)
    run_audit(audit, auditor)
    audit_workflow.audit_report(audit=audit, actor=auditor, summary="Conforming.")
    return audit_workflow.audit_sign(
        audit=audit, signer=auditor, password=PASSWORD, meaning="lead_auditor"
    )


def test_every_signature_model_is_covered():
    models = {m._meta.label for m in apps.get_models() if issubclass(m, SignatureBase)}
    assert models == {
        "documents.Signature",
        "auditing.ReportSignature",
        "assessment.AssessmentSignature",
        "retention.DisposalApproval",
    }


def test_a_signature_cannot_be_saved_again_or_deleted(document_signature):
    signature = document_signature
    signature.printed_name = "Somebody Else"
    with pytest.raises(SignatureIsFinal):
        signature.save()
    with pytest.raises(SignatureIsFinal):
        signature.delete()
    with pytest.raises(SignatureIsFinal), transaction.atomic():  # the delete's own transaction
        Signature.objects.filter(pk=signature.pk).delete()
    signature.refresh_from_db()
    assert signature.printed_name != "Somebody Else" and signature.is_intact()


@pytest.mark.parametrize("model", [Signature, ReportSignature])
def test_the_admin_offers_no_change_and_no_delete(
    model, document_signature, report_signature, superuser, client
):
    signature = model.objects.first()
    admin_url = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    client.force_login(superuser)
    delete = client.post(reverse(f"{admin_url}_delete", args=[signature.pk]), {"post": "yes"})
    assert delete.status_code == 403
    change = client.post(
        reverse(f"{admin_url}_change", args=[signature.pk]), {"printed_name": "Forged"}
    )
    assert change.status_code == 403
    signature.refresh_from_db()
    assert signature.printed_name != "Forged" and signature.is_intact()
    assert model.objects.filter(pk=signature.pk).exists()
