"""The process register: filters, search, pagination and CSV export."""

import csv
import io

import pytest
from django.urls import reverse

from processes import workflow
from processes.models import Clause

from .conftest import make_process, make_processes

pytestmark = pytest.mark.django_db


def csv_of(response):
    """The rows of a streamed CSV export (the BOM dropped)."""
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def codes_on_page(response):
    body = response.content.decode()
    return {code for code in ("CORE-01", "SUP-01", "MGT-09") if f">{code}</td>" in body}


@pytest.fixture
def register(process, process_b, quality_manager, department_b):
    make_process(
        code="MGT-09",
        owner=quality_manager,
        department=department_b,
        category="management",
        name="Management review",
        purpose="Twice a year",
    )


def test_filters_by_category_department_owner_and_clause(
    client, register, owner, process, department_b
):
    process.clauses.add(Clause.objects.get(number="8.5.1"))
    client.force_login(owner)
    url = reverse("processes:list")
    assert codes_on_page(client.get(url)) == {"CORE-01", "SUP-01", "MGT-09"}
    assert codes_on_page(client.get(url, {"category": "support"})) == {"SUP-01"}
    assert codes_on_page(client.get(url, {"department": department_b.pk})) == {"SUP-01", "MGT-09"}
    assert codes_on_page(client.get(url, {"mine": "on"})) == {"CORE-01"}
    clause = Clause.objects.get(number="8.5.1")
    assert codes_on_page(client.get(url, {"clause": clause.pk})) == {"CORE-01"}


def test_search_looks_at_code_name_and_purpose(client, register, owner):
    client.force_login(owner)
    url = reverse("processes:list")
    assert codes_on_page(client.get(url, {"q": "twice a YEAR"})) == {"MGT-09"}
    assert codes_on_page(client.get(url, {"q": "licensing"})) == {"CORE-01"}
    assert codes_on_page(client.get(url, {"q": "sup-0"})) == {"SUP-01"}


def test_a_bad_filter_value_is_ignored_not_a_500(client, register, owner):
    client.force_login(owner)
    response = client.get(reverse("processes:list"), {"category": "nonsense", "department": "x"})
    assert response.status_code == 200


def test_register_is_paginated(client, owner, department_a):
    make_processes(30, owner=owner, department=department_a, with_links=False, with_risks=False)
    client.force_login(owner)
    first = client.get(reverse("processes:list")).content.decode()
    second = client.get(reverse("processes:list"), {"page": 2}).content.decode()
    assert "P-000" in first and "P-029" not in first
    assert "P-029" in second and "Page 2 of 2" in second


def test_csv_export_lists_the_filtered_register(client, register, owner, process):
    workflow.process_update(
        process=process,
        actor=owner,
        fields={},
        inputs=[("Application", "Citizen")],
        outputs=[('=HYPERLINK("http://evil")', "Applicant")],
    )
    client.force_login(owner)
    response = client.get(reverse("processes:export"), {"category": "core"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_of(response)
    assert rows[0][:3] == ["Code", "Name", "Category"]
    assert [row[0] for row in rows[1:]] == ["CORE-01"]
    assert rows[1][7] == "Application (Citizen)"
    assert rows[1][8].startswith("'=HYPERLINK")  # a formula is neutralised, not executed


def test_csv_export_of_a_stranger_is_empty(client, register, stranger):
    client.force_login(stranger)
    rows = csv_of(client.get(reverse("processes:export")))
    assert len(rows) == 1


def test_csv_export_writes_a_formula_looking_name_as_text(client, owner, department_a):
    make_process(code="CORE-07", owner=owner, department=department_a, name="=1+2")
    make_process(code="CORE-08", owner=owner, department=department_a, name="@SUM(A1)")
    client.force_login(owner)
    rows = csv_of(client.get(reverse("processes:export")))
    names = {row[0]: row[1] for row in rows[1:]}
    assert names == {"CORE-07": "'=1+2", "CORE-08": "'@SUM(A1)"}


def test_csv_export_headers_are_in_the_readers_language(client, owner, process):
    client.force_login(owner)
    assert csv_of(client.get(reverse("processes:export")))[0][0] == "Code"
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    assert csv_of(client.get(reverse("processes:export")))[0][:3] == ["代码", "名称", "类别"]
