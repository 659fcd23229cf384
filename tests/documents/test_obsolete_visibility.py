"""Obsolete documents (ISO 9001 7.5.3.2): only what was once in force stays readable agency-wide;
a draft withdrawn with its document never was, so it stays with the people who worked on it."""

import pytest
from django.urls import reverse

from documents import access, workflow
from documents.models import Document, Revision
from tests.documents.conftest import make_effective, pdf_upload

pytestmark = pytest.mark.django_db
Status = Revision.Status
REGISTER = reverse("documents:register")


def download_url(document, revision):
    return reverse("documents:download", args=[document.pk, revision.pk])


def register_numbers(client):
    return [d.number for d in client.get(REGISTER).context["page"]]


def test_a_draft_only_document_made_obsolete_stays_hidden_from_other_departments(
    draft, owner, outsider, colleague, client
):
    workflow.make_obsolete(document_id=draft.pk, actor=owner, reason="Never needed")
    revision = draft.revisions.get()
    assert revision.status == Status.OBSOLETE and not revision.was_in_force
    assert not Document.objects.visible_to(outsider).filter(pk=draft.pk).exists()
    client.force_login(outsider)
    assert register_numbers(client) == []
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(revision.get_absolute_url()).status_code == 404
    assert client.get(download_url(draft, revision)).status_code == 404
    # Its own department keeps the record.
    client.force_login(colleague)
    assert register_numbers(client) == [draft.number]
    assert client.get(download_url(draft, revision)).status_code == 200


def test_an_obsolete_document_shows_its_last_effective_revision_but_not_its_withdrawn_draft(
    effective, owner, outsider, client
):
    effective_revision = effective.revisions.get()
    draft = workflow.start_revision(
        document=effective, actor=owner, change_summary="Unfinished B", upload=pdf_upload()
    )
    workflow.make_obsolete(document_id=effective.pk, actor=owner, reason="Merged elsewhere")
    effective_revision.refresh_from_db()
    draft.refresh_from_db()
    assert effective_revision.status == draft.status == Status.OBSOLETE
    assert effective_revision.was_in_force and not draft.was_in_force
    client.force_login(outsider)
    assert register_numbers(client) == [effective.number]
    page = client.get(effective.get_absolute_url())
    assert page.status_code == 200
    assert page.context["revision"] == effective_revision
    assert draft not in page.context["revisions"]
    assert client.get(download_url(effective, effective_revision)).status_code == 200
    assert client.get(download_url(effective, draft)).status_code == 404
    with pytest.raises(Exception, match="No such revision"):
        access.get_revision_for(outsider, effective.pk, draft.pk)


def test_a_superseded_revision_counts_as_once_in_force(
    effective, owner, colleague, quality_manager
):
    first = effective.revisions.get()
    second = workflow.start_revision(
        document=effective, actor=owner, change_summary="B", upload=pdf_upload(text="B")
    )
    make_effective(second, reviewer=colleague, approver=quality_manager)
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED and first.was_in_force
    assert set(Revision.objects.once_in_force()) == {first, second}
