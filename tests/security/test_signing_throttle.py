"""Wrong passwords on e-signature forms are throttled like sign-in, and count toward its lock."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.auditing import workflow as audit_workflow
from documents import workflow
from documents.models import Signature
from tests.audits.conftest import plan, run_audit
from tests.conftest import PASSWORD
from tests.documents.conftest import draft_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(settings, tmp_path, owner, department_a, colleague, quality_manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LOGIN_FAILURE_LIMIT = 3
    revision = draft_document(owner, department_a).revisions.get()
    workflow.submit_for_review(
        revision_id=revision.pk, actor=owner, reviewers=[colleague], approvers=[quality_manager]
    )
    return revision


def sign(revision, person, password):
    return workflow.sign(
        revision_id=revision.pk, signer=person, password=password, meaning="reviewed"
    )


def test_after_too_many_wrong_passwords_the_right_one_is_refused_too(in_review, colleague):
    for _ in range(3):
        with pytest.raises(workflow.DocumentError, match="password is not correct"):
            sign(in_review, colleague, "guess")
    with pytest.raises(workflow.DocumentError, match="Too many wrong passwords"):
        sign(in_review, colleague, PASSWORD)
    assert not Signature.objects.exists()


def test_the_signing_page_says_so_and_saves_nothing(in_review, colleague, client):
    client.force_login(colleague)
    url = reverse("documents:revision_sign", args=[in_review.document_id, in_review.pk])
    for _ in range(3):
        response = client.post(url, {"meaning": "reviewed", "password": "nope"})
        assert response.status_code == 409
    response = client.post(url, {"meaning": "reviewed", "password": PASSWORD})
    assert response.status_code == 409
    assert "Too many wrong passwords" in response.content.decode()
    assert not Signature.objects.exists()


def test_wrong_signing_passwords_lock_sign_in_as_well(in_review, colleague, client):
    for _ in range(3):
        with pytest.raises(workflow.DocumentError):
            sign(in_review, colleague, "guess")
    response = client.post(
        reverse("login"), {"username": "colleague", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_lock_signing(in_review, colleague, client):
    for number in range(3):
        client.post(
            reverse("login"),
            {"username": "colleague", "password": "wrong"},
            REMOTE_ADDR=f"10.0.0.{number}",
        )
    with pytest.raises(workflow.DocumentError, match="Too many wrong passwords"):
        sign(in_review, colleague, PASSWORD)


@pytest.fixture
def audit_in_reporting(settings, quality_manager, auditor, agency, department_a):
    """An audit led by ``auditor``, reported and waiting for its signatures."""
    settings.LOGIN_FAILURE_LIMIT = 3
    today = timezone.localdate()
    programme = audit_workflow.programme_create(
        actor=quality_manager, agency=agency, year=today.year, title="Programme"
    )
    audit = plan(programme, quality_manager, department=department_a, lead=auditor)
    run_audit(audit, auditor)
    audit_workflow.audit_report(audit=audit, actor=auditor, summary="Conforming overall.")
    return audit


def sign_audit(audit, person, password):
    return audit_workflow.audit_sign(
        audit=audit, signer=person, password=password, meaning="lead_auditor"
    )


def test_audit_signatures_share_the_same_count(audit_in_reporting, auditor, client):
    """Audit reports, review minutes, self-assessments and documents all sign through
    ``record_signature``: wrong passwords there and at sign-in count toward one lock."""
    for _ in range(2):
        with pytest.raises(audit_workflow.AuditRuleError, match="password is not correct"):
            sign_audit(audit_in_reporting, auditor, "guess")
    client.post(reverse("login"), {"username": "auditor", "password": "wrong"})
    with pytest.raises(audit_workflow.AuditRuleError, match="Too many wrong passwords"):
        sign_audit(audit_in_reporting, auditor, PASSWORD)
    assert not audit_in_reporting.signatures.exists()


def test_a_correct_password_before_the_limit_clears_the_count(in_review, colleague, client):
    for _ in range(2):
        with pytest.raises(workflow.DocumentError):
            sign(in_review, colleague, "guess")
    sign(in_review, colleague, PASSWORD)
    assert Signature.objects.count() == 1
    for number in range(2):  # two more failures stay under the limit of three: the count restarted
        client.post(
            reverse("login"),
            {"username": "colleague", "password": "wrong"},
            REMOTE_ADDR=f"10.0.1.{number}",
        )
    response = client.post(
        reverse("login"), {"username": "colleague", "password": PASSWORD}, REMOTE_ADDR="10.0.1.9"
    )
    assert response.status_code == 302
