"""The demo agency shows document control in every state."""

import pytest
from django.core.management import call_command

from documents.models import Acknowledgement, Document, Revision, Signature

pytestmark = pytest.mark.django_db


def test_demo_documents_cover_every_state(settings, tmp_path):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    statuses = set(Revision.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Revision.Status}
    assert Document.objects.filter(is_obsolete=True).exists()
    assert Document.objects.due_for_review().exists()
    assert Signature.objects.filter(meaning=Signature.Meaning.REJECTED).exists()
    assert (
        Acknowledgement.objects.pending().exists()
        and Acknowledgement.objects.filter(acknowledged_at__isnull=False).exists()
    )
    assert all(
        s.is_intact()
        for s in Signature.objects.select_related("revision__document")
        if s.review_round == s.revision.review_round
    )
