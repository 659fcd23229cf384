"""Read and acknowledge: assignment to people and departments, open before confirming, completion."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from documents import workflow
from documents.models import Acknowledgement

pytestmark = pytest.mark.django_db


def test_assigning_a_department_reaches_everyone_in_it_once(
    effective, owner, colleague, department_a
):
    revision = effective.revisions.get()
    assert (
        workflow.assign_reading(revision_id=revision.pk, actor=owner, departments=[department_a])
        == 2
    )
    assert workflow.assign_reading(revision_id=revision.pk, actor=owner, people=[colleague]) == 0
    assert set(Acknowledgement.objects.values_list("person__username", flat=True)) == {
        "owner",
        "colleague",
    }


def test_only_the_owner_or_a_quality_manager_assigns(effective, colleague, outsider):
    with pytest.raises(PermissionDenied):
        workflow.assign_reading(
            revision_id=effective.revisions.get().pk, actor=colleague, people=[outsider]
        )


def test_drafts_cannot_be_assigned(draft, owner, colleague):
    with pytest.raises(workflow.DocumentError, match="effective"):
        workflow.assign_reading(
            revision_id=draft.revisions.get().pk, actor=owner, people=[colleague]
        )


def test_a_person_opens_then_acknowledges_from_their_home_page(effective, owner, outsider, client):
    revision = effective.revisions.get()
    workflow.assign_reading(revision_id=revision.pk, actor=owner, people=[outsider])
    client.force_login(outsider)
    assert f"Read and acknowledge {revision}" in client.get("/").content.decode()
    ack_url = reverse("documents:revision_acknowledge", args=[effective.pk, revision.pk])
    response = client.post(ack_url)
    assert response.status_code == 409
    assert "Open the document" in response.content.decode()
    assert (
        client.get(reverse("documents:download", args=[effective.pk, revision.pk])).status_code
        == 200
    )
    assert client.post(ack_url).status_code == 302
    ack = Acknowledgement.objects.get()
    assert ack.opened_at and ack.acknowledged_at
    assert f"Read and acknowledge {revision}" not in client.get("/").content.decode()
    page = client.get(revision.get_absolute_url()).content.decode()
    assert "1 of 1 have acknowledged" in page
    assert client.post(ack_url).status_code == 409  # twice: refused, not double-counted


def test_people_not_assigned_cannot_acknowledge(effective, outsider):
    with pytest.raises(workflow.DocumentError, match="not been asked"):
        workflow.acknowledge(revision_id=effective.revisions.get().pk, person=outsider)
