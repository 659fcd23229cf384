"""Signature checks (ISO 9001 7.5.2): legitimate work never makes an intact signature look
tampered with, while a change behind the portal's back still shows."""

import pytest
from django.urls import reverse

from documents import workflow
from documents.models import Document, Revision, Signature
from tests.conftest import PASSWORD, make_person

pytestmark = pytest.mark.django_db
Status = Revision.Status


def sign(revision, person, meaning, comment=""):
    return workflow.sign(
        revision_id=revision.pk, signer=person, password=PASSWORD, meaning=meaning, comment=comment
    )


def submit(revision, reviewer, approver):
    workflow.submit_for_review(
        revision_id=revision.pk, actor=revision.author, reviewers=[reviewer], approvers=[approver]
    )


def checks(revision):
    return {
        (s.review_round, s.meaning): s.integrity()
        for s in Revision.objects.get(pk=revision.pk).signatures.all()
    }


def manifest(client, revision):
    response = client.get(revision.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def rejected_then_corrected(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, colleague, quality_manager)
    sign(revision, colleague, Signature.Meaning.REVIEWED)
    sign(revision, quality_manager, Signature.Meaning.REJECTED, "Section 2 is out of date")
    workflow.update_draft(
        revision_id=revision.pk,
        actor=draft.owner,
        change_summary="First issue, section 2 updated",
    )
    return revision


def test_signatures_of_a_rejected_round_show_as_given_to_an_earlier_draft(
    draft, colleague, quality_manager, client
):
    revision = rejected_then_corrected(draft, colleague, quality_manager)
    assert checks(revision) == {
        (1, "reviewed"): Signature.EARLIER_DRAFT,
        (1, "rejected"): Signature.EARLIER_DRAFT,
    }
    client.force_login(draft.owner)
    page = manifest(client, revision)
    assert page.count("signed an earlier draft") == 2 and "does not match" not in page

    submit(revision, colleague, quality_manager)
    sign(revision, colleague, Signature.Meaning.REVIEWED)
    sign(revision, quality_manager, Signature.Meaning.APPROVED)
    revision.refresh_from_db()
    assert revision.status == Status.EFFECTIVE
    assert checks(revision) == {
        (1, "reviewed"): Signature.EARLIER_DRAFT,
        (1, "rejected"): Signature.EARLIER_DRAFT,
        (2, "reviewed"): Signature.INTACT,
        (2, "approved"): Signature.INTACT,
    }
    assert all(s.is_intact() for s in revision.signatures.all())
    page = manifest(client, revision)
    assert "does not match" not in page and page.count("signed an earlier draft") == 2


def test_changing_a_signed_revision_behind_the_portals_back_still_shows(
    draft, colleague, quality_manager, client
):
    revision = rejected_then_corrected(draft, colleague, quality_manager)
    submit(revision, colleague, quality_manager)
    sign(revision, colleague, Signature.Meaning.REVIEWED)
    sign(revision, quality_manager, Signature.Meaning.APPROVED)
    Revision.objects.filter(pk=revision.pk).update(change_summary="Forged after approval")
    assert checks(revision)[(2, "approved")] == Signature.BROKEN
    assert checks(revision)[(2, "reviewed")] == Signature.BROKEN
    client.force_login(draft.owner)
    assert manifest(client, revision).count("does not match") == 2


def test_a_signature_of_an_earlier_round_forged_onto_content_never_signed_shows(
    draft, colleague, quality_manager
):
    revision = rejected_then_corrected(draft, colleague, quality_manager)
    reviewed = revision.signatures.get(meaning="reviewed")
    forged = "0" * 64  # a fingerprint the revision never had, with a digest made to fit
    reviewed.revision_fingerprint = forged
    Signature.objects.filter(pk=reviewed.pk).update(
        revision_fingerprint=forged, digest=reviewed.compute_digest()
    )
    assert checks(revision)[(1, "reviewed")] == Signature.BROKEN


def test_a_title_changed_behind_the_portals_back_breaks_the_signatures(effective):
    Document.objects.filter(pk=effective.pk).update(title="Renamed in the database")
    assert set(checks(Revision.objects.get(document=effective)).values()) == {Signature.BROKEN}


def test_the_title_is_read_only_in_the_admin_once_a_revision_is_signed(
    effective, draft_factory, client
):
    unsigned = draft_factory(title="Not yet signed")
    superuser = make_person("superuser", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    signed_form = client.get(reverse("admin:documents_document_change", args=[effective.pk]))
    assert signed_form.status_code == 200
    assert 'name="title"' not in signed_form.content.decode()
    assert effective.title in signed_form.content.decode()
    unsigned_form = client.get(reverse("admin:documents_document_change", args=[unsigned.pk]))
    assert 'name="title"' in unsigned_form.content.decode()


@pytest.fixture
def draft_factory(owner, department_a):
    from tests.documents.conftest import draft_document

    return lambda **extra: draft_document(owner, department_a, **extra)


def historic_digest(signature):
    """The digest exactly as documents computed it before the shared ``SignatureBase``."""
    import hashlib

    parts = [
        signature.revision_fingerprint,
        str(signature.signer_id),
        signature.printed_name,
        signature.meaning,
        signature.comment,
        signature.signed_at.isoformat(),
        str(signature.review_round),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def test_signatures_are_sealed_as_before_so_stored_digests_still_verify(effective):
    signatures = list(Signature.objects.filter(revision__document=effective))
    assert len(signatures) == 2
    for signature in signatures:
        assert signature.digest == historic_digest(signature) == signature.compute_digest()
        assert signature.is_intact() and signature.integrity() == Signature.INTACT


def test_a_tampered_comment_or_round_breaks_the_seal(effective):
    signature = Signature.objects.filter(revision__document=effective).first()
    Signature.objects.filter(pk=signature.pk).update(comment="added later")
    assert Signature.objects.get(pk=signature.pk).integrity() == Signature.BROKEN
    Signature.objects.filter(pk=signature.pk).update(comment=signature.comment, review_round=9)
    assert not Signature.objects.get(pk=signature.pk).is_intact()
