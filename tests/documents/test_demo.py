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


def test_the_demo_serves_a_superseded_revision_stamped_as_such(settings, tmp_path, client):
    """What a certification auditor tries on the demo: the old revision of the quality manual
    comes stamped "superseded — for reference only" on every page, never as the original."""
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    from documents.stamping import RETIRED_NOTICES
    from qms_portal.digests import sha256_of_bytes
    from qms_portal.organisation.models import Person

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    old = Revision.objects.filter(
        status=Revision.Status.SUPERSEDED, file_kind="pdf"
    ).select_related("document")[0]
    client.force_login(Person.objects.get(username="staff.liu"))  # an accountant: plain staff
    response = client.get(reverse("documents:download", args=[old.document.pk, old.pk]))
    assert response.status_code == 200
    served = b"".join(response.streaming_content) if response.streaming else response.content
    assert sha256_of_bytes(served) != old.sha256  # never the unmarked original
    pages = PdfReader(io.BytesIO(served)).pages
    notice = RETIRED_NOTICES["superseded"].split(" · ")[0]
    assert all(notice in page.extract_text() for page in pages)
