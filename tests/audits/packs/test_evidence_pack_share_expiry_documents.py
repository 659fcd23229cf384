"""A certifier's access to the documents of a shared evidence pack ends the moment the share
expires, not when the beat sweep later takes the guardian permissions back."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.packs.models import PackShare
from documents import workflow as document_workflow
from documents.models import Document
from tests.audits.packs.conftest import share
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db
REGISTER = reverse("documents:register")


def document_urls(document, revision):
    return [
        document.get_absolute_url(),
        revision.get_absolute_url(),
        reverse("documents:download", args=[document.pk, revision.pk]),
    ]


def register_numbers(client):
    response = client.get(REGISTER)
    assert response.status_code == 200
    return [d.number for d in response.context["page"]]


def test_an_expired_share_ends_document_access_before_the_sweep(
    client, pack, quality_manager, unshared_certifier, records, django_assert_num_queries
):
    document, revision = records["document"], records["revision"]
    granted = share(pack, quality_manager, unshared_certifier)
    client.force_login(unshared_certifier)
    assert register_numbers(client) == [document.number]
    for url in document_urls(document, revision):
        assert client.get(url).status_code == 200, url

    PackShare.objects.filter(pk=granted.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert register_numbers(client) == []
    for url in document_urls(document, revision):
        assert client.get(url).status_code in (403, 404), url
    # The permission is still there (no sweep has run); the expiry alone closes the door.
    assert unshared_certifier.has_perm("documents.view_document", document)
    with django_assert_num_queries(2):  # the shares in one query, the documents in one
        assert list(Document.objects.visible_to(unshared_certifier)) == []


def test_a_document_shared_outside_the_pack_stays_visible_after_the_pack_share_expires(
    client, pack, quality_manager, unshared_certifier, owner, colleague, department_a
):
    other = draft_document(owner, department_a, title="Shared directly")
    make_effective(other.revisions.get(), reviewer=colleague, approver=quality_manager)
    document_workflow.share_with_certifier(
        document=other, certifier=unshared_certifier, actor=quality_manager
    )
    granted = share(pack, quality_manager, unshared_certifier)
    PackShare.objects.filter(pk=granted.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert list(Document.objects.visible_to(unshared_certifier)) == [other]


def test_sharing_again_before_the_sweep_keeps_the_documents_after_it(
    client, pack, quality_manager, unshared_certifier, records
):
    """A new share made while an expired one still holds the permissions grants the documents
    itself, so the sweep of the old share does not take them from the new one."""
    from audits.packs import workflow as pack_workflow

    document = records["document"]
    first = share(pack, quality_manager, unshared_certifier)
    PackShare.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    second = share(pack, quality_manager, unshared_certifier)
    assert document.pk in second.granted_document_ids

    assert pack_workflow.expire_shares() == 1
    assert unshared_certifier.has_perm("documents.view_document", document)
    assert list(Document.objects.visible_to(unshared_certifier)) == [document]
    client.force_login(unshared_certifier)
    assert register_numbers(client) == [document.number]
