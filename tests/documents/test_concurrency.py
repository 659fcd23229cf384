"""Two people acting on one revision at the same moment: row locks prevent double or lost transitions.
People acting on different documents of one agency lock only their own rows.

PostgreSQL only (SQLite has no row locks): runs in the PostgreSQL + Redis pass of .ci/run.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from documents import workflow
from documents.models import Document, Revision, Signature
from qms_portal.organisation.models import Agency, Department
from tests.conftest import PASSWORD, make_person
from tests.documents.conftest import draft_document

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def at_once(*actions):
    """Run the actions in parallel threads, each on its own database connection."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            outcomes[index] = action()
        except Exception as error:  # recorded for the assertions
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def in_review(owner, department_a, colleague, quality_manager, agency):
    assert connection.vendor == "postgresql"
    second_approver = make_person("approver2", agency=agency, departments=[department_a])
    document = draft_document(owner, department_a)
    revision = document.revisions.get()
    workflow.submit_for_review(
        revision_id=revision.pk,
        actor=owner,
        reviewers=[],
        approvers=[quality_manager, second_approver],
    )
    return revision, quality_manager, second_approver


def approve(revision, person):
    return lambda: workflow.sign(
        revision_id=revision.pk,
        signer=person,
        password=PASSWORD,
        meaning=Signature.Meaning.APPROVED,
    )


def test_two_approvers_at_once_make_one_transition(in_review):
    revision, first, second = in_review
    outcomes = at_once(approve(revision, first), approve(revision, second))
    assert all(isinstance(o, Signature) for o in outcomes), outcomes
    revision.refresh_from_db()
    assert revision.status == Revision.Status.EFFECTIVE
    reasons = list(revision.history.values_list("history_change_reason", flat=True))
    assert reasons.count("all approvers signed") == 1
    assert reasons.count("became effective") == 1


def test_the_same_approver_twice_at_once_signs_once(in_review):
    revision, first, _second = in_review
    outcomes = at_once(approve(revision, first), approve(revision, first))
    assert sum(isinstance(o, Signature) for o in outcomes) == 1
    assert sum(isinstance(o, workflow.DocumentError) for o in outcomes) == 1
    assert Signature.objects.filter(revision=revision).count() == 1


def test_approve_and_reject_at_once_leave_one_consistent_outcome(in_review):
    revision, first, second = in_review

    def reject():
        return workflow.sign(
            revision_id=revision.pk,
            signer=second,
            password=PASSWORD,  # noqa: E731
            meaning=Signature.Meaning.REJECTED,
            comment="Wrong form referenced",
        )

    outcomes = at_once(approve(revision, first), reject)
    revision.refresh_from_db()
    assert revision.status in {Revision.Status.DRAFT, Revision.Status.IN_REVIEW}
    if revision.status == Revision.Status.IN_REVIEW:  # impossible: the reject always lands
        pytest.fail(f"reject was lost: {outcomes}")
    assert isinstance(outcomes[1], Signature)


@pytest.fixture
def two_documents_in_review(owner, department_a, agency):
    """Two documents of one agency (and one department), each in review with its own approver."""
    assert connection.vendor == "postgresql"
    revisions = []
    for n in (1, 2):
        approver = make_person(f"approver{n}", agency=agency, departments=[department_a])
        document = draft_document(owner, department_a, title=f"Procedure {n}")
        revision = document.revisions.get()
        workflow.submit_for_review(
            revision_id=revision.pk, actor=owner, reviewers=[], approvers=[approver]
        )
        revisions.append((revision, approver))
    return revisions


def while_approved_and_held(revision, approver, action):
    """Approve ``revision`` in one thread and keep its transaction open while ``action`` runs in
    another with a 2 s lock timeout. Returns (the approval, what ``action`` returned or raised)."""
    signed, release = threading.Event(), threading.Event()
    outcomes = {}

    def approve_and_hold():
        try:
            with transaction.atomic():
                outcomes["held"] = approve(revision, approver)()
                signed.set()
                release.wait(timeout=30)
        except Exception as error:  # recorded for the assertions
            outcomes["held"] = error
        finally:
            signed.set()
            connections.close_all()

    def act():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                outcomes["action"] = action()
            assert not release.is_set()  # it finished while the approval still held its locks
        except Exception as error:
            outcomes["action"] = error
        finally:
            connections.close_all()

    holder = threading.Thread(target=approve_and_hold)
    holder.start()
    assert signed.wait(timeout=30)
    other = threading.Thread(target=act)
    other.start()
    other.join(timeout=30)
    release.set()
    holder.join(timeout=30)
    assert isinstance(outcomes["held"], Signature), outcomes
    return outcomes["held"], outcomes["action"]


def test_approving_a_document_leaves_its_agency_department_and_other_documents_unlocked(
    two_documents_in_review, agency, department_a
):
    """Locks are ``of=("self",)``: before, approving locked the Agency row (select_related)."""
    (first, first_approver), (second, _approver) = two_documents_in_review

    def lock_the_shared_and_the_other_rows():
        Agency.objects.select_for_update(nowait=True).get(pk=agency.pk)
        Department.objects.select_for_update(nowait=True).get(pk=department_a.pk)
        Document.objects.select_for_update(nowait=True).get(pk=second.document_id)
        return Revision.objects.select_for_update(nowait=True).get(pk=second.pk)

    _approval, locked = while_approved_and_held(
        first, first_approver, lock_the_shared_and_the_other_rows
    )
    assert locked == second, locked


def test_two_documents_of_one_agency_are_approved_without_waiting_on_each_other(
    two_documents_in_review,
):
    (first, first_approver), (second, second_approver) = two_documents_in_review
    _approval, outcome = while_approved_and_held(
        first, first_approver, approve(second, second_approver)
    )
    if isinstance(outcome, Exception):
        raise outcome
    assert isinstance(outcome, Signature)
    for revision in (first, second):
        revision.refresh_from_db()
        assert revision.status == Revision.Status.EFFECTIVE
