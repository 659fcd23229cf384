"""Review and approval with electronic signatures, effectiveness and supersession (ISO 9001 7.5.2/7.5.3)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from documents import workflow
from documents.models import Revision, Signature
from documents.tasks import make_due_revisions_effective
from tests.conftest import PASSWORD
from tests.documents.conftest import make_effective, pdf_upload

pytestmark = pytest.mark.django_db
Status = Revision.Status


def submit(revision, reviewers, approvers, **extra):
    return workflow.submit_for_review(
        revision_id=revision.pk,
        actor=revision.author,
        reviewers=reviewers,
        approvers=approvers,
        **extra,
    )


def sign(revision, person, meaning, password=PASSWORD, comment=""):
    return workflow.sign(
        revision_id=revision.pk, signer=person, password=password, meaning=meaning, comment=comment
    )


def test_full_path_from_draft_to_effective(draft, colleague, quality_manager):
    revision = make_effective(draft.revisions.get(), reviewer=colleague, approver=quality_manager)
    assert revision.status == Status.EFFECTIVE
    assert revision.effective_date == timezone.localdate()
    draft.refresh_from_db()
    from documents.models import months_after

    assert draft.next_review_due == months_after(timezone.localdate(), 12)
    meanings = [(s.printed_name, s.meaning) for s in revision.signatures.all()]
    assert meanings == [
        (colleague.get_full_name() or "colleague", "reviewed"),
        (quality_manager.get_full_name() or "quality_manager", "approved"),
    ]
    assert all(s.is_intact() for s in revision.signatures.all())


def test_rejection_returns_the_revision_to_draft_with_comments(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    sign(
        revision,
        colleague,
        Signature.Meaning.REJECTED,
        comment="Section 3 contradicts the finance rules",
    )
    revision.refresh_from_db()
    assert revision.status == Status.DRAFT
    assert "Section 3" in revision.review_comments


def test_rejection_needs_a_comment(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    with pytest.raises(workflow.DocumentError, match="Say why"):
        sign(revision, colleague, Signature.Meaning.REJECTED)


def test_wrong_password_signs_nothing(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    with pytest.raises(workflow.DocumentError, match="password"):
        sign(revision, colleague, Signature.Meaning.REVIEWED, password="guess")
    assert not Signature.objects.exists()


def test_only_named_people_sign(draft, colleague, quality_manager, outsider):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    with pytest.raises(PermissionDenied):
        sign(revision, outsider, Signature.Meaning.REVIEWED)
    with pytest.raises(PermissionDenied, match="named approver"):
        sign(revision, colleague, Signature.Meaning.APPROVED)


def test_approval_waits_for_every_reviewer(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    with pytest.raises(workflow.DocumentError, match="reviewer must sign"):
        sign(revision, quality_manager, Signature.Meaning.APPROVED)


def test_the_author_cannot_approve_their_own_revision(draft, owner, colleague):
    with pytest.raises(workflow.DocumentError, match="author"):
        submit(draft.revisions.get(), [colleague], [owner])


def test_signing_twice_is_refused(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    sign(revision, colleague, Signature.Meaning.REVIEWED)
    with pytest.raises(workflow.DocumentError, match="already"):
        sign(revision, colleague, Signature.Meaning.REVIEWED)


def test_transitions_from_the_wrong_state_are_refused(effective, colleague, quality_manager):
    revision = effective.revisions.get()
    with pytest.raises(workflow.DocumentError, match="effective"):
        submit(revision, [colleague], [quality_manager])
    with pytest.raises(workflow.DocumentError, match="nothing to sign"):
        sign(revision, colleague, Signature.Meaning.REVIEWED)


def test_signed_revisions_can_no_longer_be_edited(effective, owner):
    with pytest.raises(workflow.DocumentError, match="is effective, so it cannot be edited"):
        workflow.update_draft(
            revision_id=effective.revisions.get().pk, actor=owner, change_summary="sneaky"
        )


def test_signature_is_bound_to_its_revision(effective, owner, colleague, quality_manager):
    signature = effective.revisions.get().signatures.first()
    second = workflow.start_revision(
        document=effective, actor=owner, change_summary="B", upload=pdf_upload()
    )
    Signature.objects.filter(pk=signature.pk).update(
        revision=second
    )  # moved behind the portal's back
    signature.refresh_from_db()
    assert not signature.is_intact()


def test_a_changed_signature_field_breaks_its_digest(effective):
    signature = effective.revisions.get().signatures.first()
    Signature.objects.filter(pk=signature.pk).update(meaning="approved", comment="forged")
    signature.refresh_from_db()
    assert not signature.is_intact()


def test_next_revision_supersedes_the_effective_one(effective, owner, colleague, quality_manager):
    first = effective.revisions.get()
    second = workflow.start_revision(
        document=effective,
        actor=owner,
        change_summary="New supplier rules",
        upload=pdf_upload(text="Revision B"),
    )
    assert second.label == "B"
    make_effective(second, reviewer=colleague, approver=quality_manager)
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED and first.superseded_at
    assert effective.revisions.filter(status=Status.EFFECTIVE).get() == second


def test_database_refuses_two_effective_revisions(effective, owner):
    first = effective.revisions.get()
    second = Revision(
        document=effective,
        label="Z",
        change_summary="x",
        author=owner,
        status=Status.EFFECTIVE,
        file=first.file.name,
        storage_name=first.storage_name,
        original_filename="x.pdf",
        file_kind="pdf",
        file_size=1,
        sha256=first.sha256,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_only_one_open_revision_at_a_time(draft, owner):
    with pytest.raises(workflow.DocumentError, match="still draft"):
        workflow.start_revision(
            document=draft, actor=owner, change_summary="B", upload=pdf_upload()
        )


def test_scheduled_revision_becomes_effective_on_its_date(draft, colleague, quality_manager):
    revision = draft.revisions.get()
    tomorrow = timezone.localdate() + timedelta(days=1)
    submit(revision, [colleague], [quality_manager], effective_date=tomorrow)
    sign(revision, colleague, Signature.Meaning.REVIEWED)
    sign(revision, quality_manager, Signature.Meaning.APPROVED)
    revision.refresh_from_db()
    assert revision.status == Status.APPROVED
    assert make_due_revisions_effective() == 0
    assert workflow.make_due_revisions_effective(today=tomorrow) == 1
    revision.refresh_from_db()
    assert revision.status == Status.EFFECTIVE
    assert workflow.make_due_revisions_effective(today=tomorrow) == 0  # idempotent


def test_obsolete_needs_a_reason_and_keeps_the_record(effective, owner, outsider):
    with pytest.raises(workflow.DocumentError, match="reason"):
        workflow.make_obsolete(document_id=effective.pk, actor=owner, reason=" ")
    with pytest.raises(PermissionDenied):
        workflow.make_obsolete(document_id=effective.pk, actor=outsider, reason="x")
    workflow.make_obsolete(document_id=effective.pk, actor=owner, reason="Merged into PRO-FIN-009")
    effective.refresh_from_db()
    assert effective.is_obsolete and effective.revisions.get().status == Status.OBSOLETE
    assert effective.history.latest().history_change_reason.startswith("made obsolete")


def test_history_records_who_and_why(draft, colleague, quality_manager, client):
    revision = draft.revisions.get()
    client.force_login(draft.owner)
    url = reverse("documents:revision_submit", args=[draft.pk, revision.pk])
    response = client.post(url, {"reviewers": [colleague.pk], "approvers": [quality_manager.pk]})
    assert response.status_code == 302
    latest = revision.history.latest()
    assert latest.history_user == draft.owner
    assert latest.history_change_reason == "submitted for review"


def test_signing_page_with_a_wrong_password_answers_4xx_and_saves_nothing(
    draft, colleague, quality_manager, client
):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    client.force_login(colleague)
    url = reverse("documents:revision_sign", args=[draft.pk, revision.pk])
    response = client.post(url, {"meaning": "reviewed", "password": "nope"})
    assert response.status_code == 409
    assert "password is not correct" in response.content.decode()
    assert not Signature.objects.exists()
    response = client.post(url, {"meaning": "reviewed", "password": PASSWORD})
    assert response.status_code == 302 and Signature.objects.count() == 1


def test_signing_by_the_wrong_person_is_forbidden(draft, colleague, quality_manager, client, owner):
    revision = draft.revisions.get()
    submit(revision, [colleague], [quality_manager])
    client.force_login(owner)
    url = reverse("documents:revision_sign", args=[draft.pk, revision.pk])
    assert client.post(url, {"meaning": "approved", "password": PASSWORD}).status_code == 403
