"""The audit programme and its coverage matrix flag every process and clause not audited."""

from datetime import date

import pytest
from django.urls import reverse

from audits.auditing import workflow
from audits.auditing.coverage import programme_coverage
from tests.audits.conftest import clauses, make_process, plan

pytestmark = pytest.mark.django_db


def test_unaudited_processes_and_clauses_are_flagged(programme, audit, process, process_b):
    matrix = programme_coverage(programme)
    assert process_b in matrix.unaudited_processes
    assert process not in matrix.unaudited_processes
    unaudited = {c.number for c in matrix.unaudited_clauses}
    assert {"8.1", "8.2", "7.5"}.isdisjoint(unaudited)
    assert {"9.2", "10.2", "4.1"} <= unaudited


def test_an_audit_of_a_sub_clause_covers_its_heading(
    programme, quality_manager, auditor, department_a
):
    plan(
        programme, quality_manager, department=department_a, lead=auditor, clauses=clauses("9.1.2")
    )
    unaudited = {c.number for c in programme_coverage(programme).unaudited_clauses}
    assert "9.1" not in unaudited


def test_process_appears_in_the_month_of_its_audit(programme, audit, process):
    matrix = programme_coverage(programme)
    row = next(r for r in matrix.process_rows if r.process == process)
    assert row.cells[0] == [audit]
    assert all(not cell for cell in row.cells[1:])


def test_an_audit_outside_the_cycle_does_not_count(
    programme, quality_manager, auditor, department_a, owner, agency
):
    process_b = make_process(code="NEW-01", owner=owner, department=department_a)
    next_year = workflow.programme_create(
        actor=quality_manager, agency=agency, year=programme.year + 1, title="Next"
    )
    plan(
        next_year,
        quality_manager,
        department=department_a,
        lead=auditor,
        processes=[process_b],
        clauses=clauses("9.2"),
    )
    assert process_b in programme_coverage(programme).unaudited_processes


def test_cycle_length_is_a_setting(programme, settings):
    settings.QMS_AUDIT_CYCLE_MONTHS = 18
    assert programme.cycle_end == date(programme.year + 1, 6, 30)


def test_coverage_page_shows_the_flags(client, quality_manager, programme, audit, process_b):
    client.force_login(quality_manager)
    response = client.get(reverse("auditing:programme", args=[programme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "not audited" in html and process_b.code in html and audit.reference in html


def test_only_one_programme_per_year(programme, quality_manager, agency):
    with pytest.raises(workflow.AuditRuleError, match="already an audit programme"):
        workflow.programme_create(
            actor=quality_manager, agency=agency, year=programme.year, title="Again"
        )


def test_staff_cannot_create_a_programme(client, owner):
    client.force_login(owner)
    assert client.get(reverse("auditing:programme_create")).status_code == 403


def test_many_processes_in_a_fixed_number_of_queries(
    programme, audit, owner, department_a, django_assert_max_num_queries
):
    for n in range(30):
        make_process(code=f"X-{n:02d}", owner=owner, department=department_a)
    with django_assert_max_num_queries(8):
        matrix = programme_coverage(programme)
        assert len(matrix.process_rows) >= 31
