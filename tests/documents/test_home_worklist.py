"""The home page's document work: every list capped, its total shown and linked to the register
filtered to the same documents, in a number of queries that does not grow with the agency."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import dashboard
from documents.models import Acknowledgement, Document, Revision
from documents.worklist import LIMIT
from tests.documents.test_register import count_queries

pytestmark = pytest.mark.django_db
REGISTER = reverse("documents:register")
KINDS = ("sign", "read", "overdue", "correct")


def bulk_work(count, *, owner, department, quality_manager):
    """``count`` documents of each kind of work for the quality manager, in bulk."""
    start = Document.objects.count()
    documents = {
        kind: Document.objects.bulk_create(
            [
                Document(
                    agency=department.agency,
                    number=f"BULK-{kind}-{start + n:05d}",
                    title=f"Bulk {kind} {n}",
                    doc_type="procedure",
                    owner_department=department,
                    owner=owner,
                    next_review_due=date(2020, 1, 1) if kind == "overdue" else None,
                )
                for n in range(count)
            ]
        )
        for kind in KINDS
    }
    status = {"sign": "in_review", "read": "effective", "overdue": "effective", "correct": "draft"}
    revisions = {
        kind: Revision.objects.bulk_create(
            [
                Revision(
                    document=d,
                    label="A",
                    change_summary="x",
                    author=quality_manager if kind == "correct" else owner,
                    status=status[kind],
                    review_round=0 if kind in ("read", "overdue") else 1,
                    file="documents/bulk.pdf",
                    storage_name="documents/bulk.pdf",
                    original_filename="bulk.pdf",
                    file_kind="pdf",
                    file_size=1,
                    sha256="0" * 64,
                )
                for d in docs
            ]
        )
        for kind, docs in documents.items()
    }
    Revision.approvers.through.objects.bulk_create(
        [Revision.approvers.through(revision=r, person=quality_manager) for r in revisions["sign"]]
    )
    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(revision=r, person=quality_manager, assigned_by=owner)
            for r in revisions["read"]
        ]
    )


def work(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.context["work"]


def titled(items, prefix):
    return [item for item in items if item.title.startswith(prefix)]


def register_count(client, **params):
    response = client.get(REGISTER, params)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def test_home_page_queries_stay_the_same_from_10_to_200_items_of_each_kind(
    client, owner, department_a, quality_manager
):
    people = {"owner": owner, "department": department_a, "quality_manager": quality_manager}
    client.force_login(quality_manager)
    bulk_work(10, **people)
    small = count_queries(client, "/")
    items = work(client)
    assert len(titled(items, "Sign ")) == 10
    assert len(titled(items, "Read and acknowledge ")) == 10
    assert len(titled(items, "Overdue for review: ")) == 10
    assert len(titled(items, "Correct ")) == 10
    assert titled(items, "All ") == []  # nothing cut, so no totals

    bulk_work(190, **people)
    assert count_queries(client, "/") == small


def test_each_list_is_capped_and_its_total_links_to_the_same_documents_in_the_register(
    client, owner, department_a, quality_manager
):
    bulk_work(LIMIT + 5, owner=owner, department=department_a, quality_manager=quality_manager)
    client.force_login(quality_manager)
    items = work(client)
    total = LIMIT + 5
    for prefix in ("Sign ", "Read and acknowledge ", "Overdue for review: ", "Correct "):
        assert len(titled(items, prefix)) == LIMIT, prefix
    totals = {item.url: item.title for item in titled(items, "All ")}
    assert totals == {
        f"{REGISTER}?waiting=sign": f"All {total} revisions waiting for your signature",
        f"{REGISTER}?waiting=read": f"All {total} documents waiting for your acknowledgement",
        f"{REGISTER}?waiting=correct": f"All {total} drafts returned to you by reviewers",
        f"{REGISTER}?due=on": f"All {total} documents overdue for review",
    }
    for url in totals:
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == total, url
    page = client.get("/").content.decode()
    assert f"All {total} revisions waiting for your signature" in page
    assert f'href="{REGISTER}?waiting=sign"' in page


def test_signed_revisions_leave_the_list_and_the_register_filter(
    client, draft, colleague, quality_manager
):
    from documents import workflow
    from documents.models import Signature
    from tests.conftest import PASSWORD

    revision = draft.revisions.get()
    workflow.submit_for_review(
        revision_id=revision.pk,
        actor=draft.owner,
        reviewers=[colleague],
        approvers=[quality_manager],
    )
    client.force_login(colleague)
    assert register_count(client, waiting="sign") == 1
    workflow.sign(
        revision_id=revision.pk,
        signer=colleague,
        password=PASSWORD,
        meaning=Signature.Meaning.REVIEWED,
    )
    assert register_count(client, waiting="sign") == 0
    assert titled(work(client), "Sign ") == []
    client.force_login(quality_manager)
    assert register_count(client, waiting="sign") == 1


def test_overdue_means_the_same_on_the_dashboard_the_register_and_the_home_page(
    client, effective, owner, department_a, quality_manager
):
    today = timezone.localdate()
    bulk_work(1, owner=owner, department=department_a, quality_manager=quality_manager)
    Document.objects.filter(pk=effective.pk).update(next_review_due=today)  # due, not overdue
    client.force_login(quality_manager)
    figures = dashboard.figures(
        quality_manager.agency, start=today - timedelta(days=365), end=today
    )
    assert figures["documents_overdue"] == 1
    assert register_count(client, due="on") == 1
    assert len(titled(work(client), "Overdue for review: ")) == 1
    assert not effective.is_overdue_for_review(today)
    assert Document.objects.overdue_for_review(today).count() == 1
