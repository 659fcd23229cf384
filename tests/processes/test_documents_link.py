"""Processes link the controlled documents that describe them; both pages show the link."""

import pytest
from django.urls import reverse

from documents.models import Confidentiality
from processes import workflow
from processes.workflow import ProcessRuleError
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_linked_documents_show_on_the_process_and_the_process_on_the_document(
    process, owner, department_a, colleague, quality_manager, client
):
    document = draft_document(owner, department_a, title="Intake procedure")
    make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    workflow.process_update(process=process, actor=owner, fields={}, documents=[document])
    assert process.history.latest().history_change_reason == "Controlled documents linked"
    client.force_login(colleague)
    assert document.number in client.get(process.get_absolute_url()).content.decode()
    assert process.code in client.get(document.get_absolute_url()).content.decode()


def test_restricted_documents_stay_hidden_on_the_process_page(
    process, owner, department_a, colleague, quality_manager, outsider, client
):
    document = draft_document(
        owner,
        department_a,
        confidentiality=Confidentiality.RESTRICTED,
        restricted_to=[department_a],
    )
    make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    workflow.process_update(process=process, actor=owner, fields={}, documents=[document])
    client.force_login(outsider)
    assert document.number not in client.get(process.get_absolute_url()).content.decode()


def test_documents_of_another_agency_cannot_be_linked(
    process, owner, stranger, other_agency_department
):
    foreign = draft_document(stranger, other_agency_department)
    with pytest.raises(ProcessRuleError):
        workflow.process_update(process=process, actor=owner, fields={}, documents=[foreign])
    assert not process.documents.exists()


def test_the_process_form_links_documents(owner, department_a, quality_manager, client):
    from processes.models import Process
    from tests.processes.test_process_definition import process_post

    document = draft_document(owner, department_a)
    client.force_login(quality_manager)
    data = {**process_post(department_a, owner), "documents": [document.pk]}
    assert client.post(reverse("processes:create"), data).status_code == 302
    assert list(Process.objects.get(code="CORE-07").documents.all()) == [document]
