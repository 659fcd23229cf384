"""The document page offers exactly the steps the workflow accepts from this person now.

For every persona and every state of a revision, the buttons on the page (``data-step``) are
``workflow.available_steps(revision, person)`` and the table below; each offered step is accepted
when posted, and every step not offered is refused (4xx) without changing anything.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from documents import workflow
from documents.models import Acknowledgement, Document, Signature
from tests.conftest import PASSWORD
from tests.documents.conftest import draft_document, make_effective, pdf_upload
from tests.page_steps import assert_refused_unchanged, fixtures_by_name, shown_steps

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
STATES = ["draft", "in_review", "approved", "effective", "superseded", "obsolete"]
ALL_STEPS = {
    "edit",
    "submit",
    "review",
    "approve",
    "reject",
    "assign_reading",
    "acknowledge",
    "new_revision",
    "periodic_review",
    "make_obsolete",
}
MANAGE_IN_FORCE = {"assign_reading", "new_revision", "periodic_review", "make_obsolete"}
HIDDEN = None  # the person does not see the document at all (404)

#: state → persona → the steps the page offers (the colleague reviews, the quality manager
#: approves; in the effective state the colleague was asked to read the revision).
EXPECTED = {
    "draft": {
        "owner": {"edit", "submit", "make_obsolete"},
        "colleague": {"edit", "submit"},
        "outsider": HIDDEN,
        "quality_manager": {"edit", "submit", "make_obsolete"},
        "auditor": set(),
        "certifier": set(),
    },
    "in_review": {
        "owner": {"make_obsolete"},
        "colleague": {"review", "reject"},
        "outsider": HIDDEN,
        "quality_manager": {"reject", "make_obsolete"},  # approval waits for the reviewer
        "auditor": set(),
        "certifier": set(),
    },
    "approved": {
        "owner": {"make_obsolete"},
        "colleague": set(),
        "outsider": HIDDEN,
        "quality_manager": {"make_obsolete"},
        "auditor": set(),
        "certifier": set(),
    },
    "effective": {
        "owner": MANAGE_IN_FORCE,
        "colleague": {"new_revision", "acknowledge"},
        "outsider": set(),
        "quality_manager": MANAGE_IN_FORCE,
        "auditor": set(),
        "certifier": set(),
    },
    "superseded": {
        "owner": {"new_revision", "periodic_review", "make_obsolete"},
        "colleague": {"new_revision"},
        "outsider": set(),
        "quality_manager": {"new_revision", "periodic_review", "make_obsolete"},
        "auditor": set(),
        "certifier": set(),
    },
    "obsolete": dict.fromkeys(PERSONAS, set()),
}


def build(state, w):
    """A document of department A whose page revision is in ``state``; returns (document,
    revision)."""
    document = draft_document(w.owner, department=w.department_a)
    revision = document.revisions.get()
    if state == "draft":
        return document, revision
    if state in ("in_review", "approved"):  # approved: effective in a week, so it waits
        workflow.submit_for_review(
            revision_id=revision.pk,
            actor=w.owner,
            reviewers=[w.colleague],
            approvers=[w.quality_manager],
            effective_date=timezone.localdate() + timedelta(days=7),
        )
    if state == "in_review":
        return document, revision
    if state == "approved":
        for signer, meaning in [
            (w.colleague, Signature.Meaning.REVIEWED),
            (w.quality_manager, Signature.Meaning.APPROVED),
        ]:
            workflow.sign(
                revision_id=revision.pk, signer=signer, password=PASSWORD, meaning=meaning
            )
        return document, revision
    make_effective(revision, reviewer=w.colleague, approver=w.quality_manager)
    if state == "effective":
        workflow.assign_reading(revision_id=revision.pk, actor=w.owner, people=[w.colleague])
    if state == "superseded":
        second = workflow.start_revision(
            document=document, actor=w.owner, change_summary="Second", upload=pdf_upload()
        )
        make_effective(second, reviewer=w.colleague, approver=w.quality_manager)
    if state == "obsolete":
        workflow.make_obsolete(document_id=document.pk, actor=w.owner, reason="Merged")
    revision.refresh_from_db()
    return document, revision


@pytest.fixture
def world(request):
    return fixtures_by_name(request, [*PERSONAS, "department_a", "department_b"])


def step_request(step, document, revision, w):
    """The URL and data that take ``step`` on the page (valid data: only the rule can refuse)."""
    on_revision = [document.pk, revision.pk]
    sign = {"password": PASSWORD, "comment": "Checked"}
    return {
        "edit": ("documents:revision_edit", on_revision, {"change_summary": "Changed"}),
        "submit": (
            "documents:revision_submit",
            on_revision,
            {"reviewers": [w.colleague.pk], "approvers": [w.quality_manager.pk]},
        ),
        "review": ("documents:revision_sign", on_revision, {**sign, "meaning": "reviewed"}),
        "approve": ("documents:revision_sign", on_revision, {**sign, "meaning": "approved"}),
        "reject": ("documents:revision_sign", on_revision, {**sign, "meaning": "rejected"}),
        "assign_reading": ("documents:revision_assign", on_revision, {"people": [w.outsider.pk]}),
        "acknowledge": ("documents:revision_acknowledge", on_revision, {}),
        "new_revision": (
            "documents:revision_new",
            [document.pk],
            {"change_summary": "Next", "file": pdf_upload()},
        ),
        "periodic_review": ("documents:periodic_review", [document.pk], {"comment": "Current"}),
        "make_obsolete": ("documents:obsolete", [document.pk], {"reason": "Withdrawn"}),
    }[step]


def snapshot(document):
    """Everything a step could change on the document."""
    document = Document.objects.get(pk=document.pk)
    revisions = list(
        document.revisions.order_by("pk").values_list(
            "pk", "status", "change_summary", "review_round", "sha256"
        )
    )
    return (
        document.is_obsolete,
        document.next_review_due,
        revisions,
        Signature.objects.filter(revision__document=document).count(),
        sorted(
            Acknowledgement.objects.filter(revision__document=document).values_list(
                "person_id", "acknowledged_at"
            )
        ),
    )


def post_step(client, step, document, revision, w):
    name, args, data = step_request(step, document, revision, w)
    return client.post(reverse(name, args=args), data)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_offers_exactly_the_steps_the_workflow_accepts(state, persona, world, client):
    w = world
    document, revision = build(state, w)
    document.refresh_from_db()
    revision.refresh_from_db()
    workflow.share_with_certifier(document=document, certifier=w.certifier, actor=w.quality_manager)
    person = getattr(w, persona)
    client.force_login(person)
    expected = EXPECTED[state][persona]

    response = client.get(revision.get_absolute_url())
    if expected is HIDDEN:
        assert response.status_code == 404
        assert client.get(document.get_absolute_url()).status_code == 404
    else:
        if response.status_code == 404:  # a working copy they may not read: the document page
            response = client.get(document.get_absolute_url())
            revision = response.context["revision"]
        assert response.status_code == 200
        shown = shown_steps(response.content.decode())
        assert shown == set(workflow.available_steps(revision, person, document=document))
        assert shown == expected, f"{persona} on a {state} revision"

    posted_revision = revision or document.revisions.first()
    assert_refused_unchanged(
        lambda step: post_step(client, step, document, posted_revision, w),
        ALL_STEPS - (expected or set()),
        lambda: snapshot(document),
    )

    for step in sorted(expected or ()):
        if step == "acknowledge":  # confirming needs the revision opened first
            client.get(reverse("documents:download", args=[document.pk, revision.pk]))
        savepoint = transaction.savepoint()
        response = post_step(client, step, document, revision, w)
        assert response.status_code == 302, (step, response.status_code)
        transaction.savepoint_rollback(savepoint)
