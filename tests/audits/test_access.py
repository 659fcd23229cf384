"""Who sees what: outsiders, strangers and certifiers get 404 for what is not theirs."""

import pytest
from django.urls import reverse

from audits.auditing import workflow as audit_workflow
from audits.review import workflow as review_workflow
from tests.audits.conftest import evidence_pdf_bytes
from tests.conftest import PASSWORD

from .conftest import raise_nc, run_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def nc(quality_manager, department_a, owner):
    return raise_nc(quality_manager, department=department_a, owner=owner)


def test_outsider_and_stranger_cannot_see_an_audit_of_department_a(
    client, audit, outsider, stranger, unshared_certifier, certifier
):
    for person in (outsider, stranger, unshared_certifier, certifier):  # certifier: not closed yet
        client.force_login(person)
        for url in (audit.get_absolute_url(), reverse("auditing:audit_pdf", args=[audit.pk])):
            assert client.get(url).status_code == 404, (person, url)


def test_department_staff_and_auditors_see_the_audit(client, audit, colleague, auditor):
    for person in (colleague, auditor):
        client.force_login(person)
        assert client.get(audit.get_absolute_url()).status_code == 200


def test_certifier_sees_closed_audits_of_shared_departments_only(
    client, audit, auditor, owner, certifier
):
    run_audit(audit, auditor)
    audit_workflow.audit_report(audit=audit, actor=auditor, summary="ok")
    audit_workflow.audit_sign(
        audit=audit, signer=auditor, password=PASSWORD, meaning="lead_auditor"
    )
    audit_workflow.audit_sign(audit=audit, signer=owner, password=PASSWORD, meaning="auditee")
    audit_workflow.audit_close(audit=audit, actor=auditor)
    client.force_login(certifier)
    assert client.get(audit.get_absolute_url()).status_code == 200
    assert client.get(reverse("auditing:programme", args=[audit.programme_id])).status_code == 404


def test_nonconformity_is_hidden_from_outsider_stranger_and_certifiers(
    client, nc, outsider, stranger, certifier, unshared_certifier
):
    for person in (outsider, stranger, certifier, unshared_certifier):
        client.force_login(person)
        assert client.get(nc.get_absolute_url()).status_code == 404
        assert (
            client.post(
                reverse("capa:nc_step", args=[nc.pk, "contain"]), {"containment": "x"}
            ).status_code
            == 404
        )
        assert nc.reference not in client.get(reverse("capa:nc_list")).content.decode()


def test_colleague_sees_but_cannot_change_the_nonconformity(client, nc, colleague):
    client.force_login(colleague)
    assert client.get(nc.get_absolute_url()).status_code == 200
    assert (
        client.post(
            reverse("capa:nc_step", args=[nc.pk, "contain"]), {"containment": "x"}
        ).status_code
        == 403
    )


def test_action_and_review_are_hidden_from_strangers(
    client, nc, owner, colleague, quality_manager, stranger, outsider
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.audits.review.test_management_review import make_review

    review = make_review(quality_manager, owner)
    action = review_workflow.review_add_action(
        review=review,
        actor=owner,
        title="x",
        owner=colleague,
        due_date=timezone.localdate() + timedelta(days=2),
    )
    for person in (stranger, outsider):
        client.force_login(person)
        assert client.get(action.get_absolute_url()).status_code == 404
        assert client.get(review.get_absolute_url()).status_code == 404
        assert client.get(reverse("review:review_pdf", args=[review.pk])).status_code == 404


def test_evidence_download_follows_the_audit(client, audit, auditor, stranger):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audits.auditing.models import Evidence

    audit_workflow.audit_start(audit=audit, actor=auditor)
    upload = SimpleUploadedFile("e.pdf", evidence_pdf_bytes())
    audit_workflow.checklist_record(
        item=audit.checklist.first(), actor=auditor, result="conforming", upload=upload
    )
    evidence = Evidence.objects.get()
    client.force_login(auditor)
    assert client.get(reverse("auditing:evidence", args=[evidence.pk])).status_code == 200
    client.force_login(stranger)
    assert client.get(reverse("auditing:evidence", args=[evidence.pk])).status_code == 404


def test_pages_render_for_the_quality_manager(client, quality_manager, audit, nc):
    client.force_login(quality_manager)
    for name in (
        "auditing:programmes",
        "auditing:audit_list",
        "capa:nc_list",
        "capa:action_list",
        "review:review_list",
        "capa:nc_create",
        "review:review_create",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(nc.get_absolute_url()).status_code == 200
    assert client.get("/").status_code == 200
