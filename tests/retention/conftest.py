"""Retention's small world: the default schedule, a service with old closed requests, and an
obsolete document whose own retention period has ended (made through the workflows)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from documents import workflow as documents_workflow
from retention import workflow
from services import intake
from services import workflow as services_workflow
from services.models import Service, ServiceRequest
from tests.conftest import PASSWORD, make_person
from tests.documents.conftest import draft_document, make_effective

CONTACT = {
    "citizen_name": "Zhang Secretname",
    "citizen_email": "secret.citizen@example.org",
    "citizen_phone": "+86 139 0000 1234",
}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rules(agency):
    workflow.seed_default_rules(agency)
    return {rule.record_type: rule for rule in agency.retention_rules.all()}


@pytest.fixture
def second_manager(agency, department_b):
    from qms_portal.organisation.roles import Role

    return make_person(
        "qm2", agency=agency, roles=[Role.QUALITY_MANAGER], departments=[department_b]
    )


@pytest.fixture
def service(agency, department_a):
    return Service.objects.create(
        agency=agency,
        code="FIN-ADVICE",
        name_zh="咨询",
        name_en="Advice",
        department=department_a,
        commitment_days=5,
    )


def closed_request(service, actor, *, days_ago, **data):
    """A request submitted and closed ``days_ago`` days ago, with the citizen's details."""
    submission = intake.clean_submission(
        questions=[],
        data={"description": "Paid twice", **CONTACT, **data},
        raw_answers={},
    )
    at = timezone.now() - timedelta(days=days_ago)
    request = services_workflow.submit_request(
        service=service, submission=submission, channel=ServiceRequest.Channel.WEB, at=at
    )
    services_workflow.acknowledge(request_id=request.pk, actor=actor, at=at)
    services_workflow.start_work(request_id=request.pk, actor=actor, at=at)
    services_workflow.resolve(request_id=request.pk, actor=actor, note="Done.", at=at)
    services_workflow.close(request_id=request.pk, actor=actor, at=at + timedelta(hours=1))
    return ServiceRequest.objects.get(pk=request.pk)


def obsolete_document(owner, department, *, reviewer, approver, retention_years=0):
    """An effective, signed document made obsolete now; ``retention_years=0``: due at once."""
    document = draft_document(
        owner, department, retention_years=retention_years, title="Old procedure"
    )
    revision = document.revisions.get()
    make_effective(revision, reviewer=reviewer, approver=approver)
    documents_workflow.make_obsolete(document_id=document.pk, actor=owner, reason="Replaced")
    document.refresh_from_db()
    return document


def approved_run(proposer, approver, record_types=None):
    run = workflow.run_propose(actor=proposer, record_types=record_types)
    return workflow.run_approve(run=run, actor=approver, password=PASSWORD)
