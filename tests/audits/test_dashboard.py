"""The quality manager's dashboard: the numbers, their links, filters and a fixed query count."""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from audits.auditing import workflow
from audits.capa.models import Action, Nonconformity
from documents.models import Document
from processes.models import Kpi, Measurement
from tests.documents.conftest import draft_document, make_effective
from tests.processes.conftest import make_process

from .conftest import raise_nc

pytestmark = pytest.mark.django_db


def seed(count, *, agency, department, owner, raiser):
    """``count`` open nonconformities with one overdue action each, in bulk."""
    ncs = Nonconformity.objects.bulk_create(
        Nonconformity(
            agency=agency,
            reference=f"B-{department.code}-{n}",
            source="staff",
            description="x",
            department=department,
            severity="major" if n % 3 == 0 else "minor",
            owner=owner,
            raised_by=raiser,
        )
        for n in range(count)
    )
    Action.objects.bulk_create(
        Action(
            agency=agency,
            kind="corrective",
            title="a",
            owner=owner,
            due_date=timezone.localdate() - timedelta(days=2),
            nonconformity=nc,
            department=department,
            created_by=raiser,
        )
        for nc in ncs
    )


def test_numbers_match_the_data(
    client, quality_manager, agency, department_a, department_b, owner, outsider
):
    seed(6, agency=agency, department=department_a, owner=owner, raiser=quality_manager)
    seed(2, agency=agency, department=department_b, owner=outsider, raiser=quality_manager)
    client.force_login(quality_manager)
    response = client.get(reverse("audits:dashboard"))
    assert response.status_code == 200
    data = response.context["data"]
    assert data["nc"]["open"] == 8
    assert data["nc_by_severity"] == {"minor": 5, "major": 3}
    assert data["actions"]["overdue"] == 8
    assert {r["department__code"]: r["n"] for r in data["nc_by_department"]} == {"FIN": 6, "URB": 2}
    html = response.content.decode()
    assert (
        f"?status=open&amp;department={department_a.pk}" in html
        or f"status=open&amp;department={department_a.pk}" in html
    )


def test_department_filter(
    client, quality_manager, agency, department_a, department_b, owner, outsider
):
    seed(6, agency=agency, department=department_a, owner=owner, raiser=quality_manager)
    seed(2, agency=agency, department=department_b, owner=outsider, raiser=quality_manager)
    client.force_login(quality_manager)
    data = client.get(reverse("audits:dashboard"), {"department": department_b.pk}).context["data"]
    assert data["nc"]["open"] == 2 and data["actions"]["overdue"] == 2


def dashboard_links(html):
    """(href, number) of every link in the dashboard's figures, after checking that no number
    there stands outside a link. Charts are SVG with links of their own; clause numbers are not
    counts."""
    services = html.index('id="services"')
    figures = html[html.index('<div class="tiles">') : html.index("</section>", services)]
    figures = re.sub(r"<svg.*?</svg>", "", figures, flags=re.S)
    figures = re.sub(r'<p class="hint">.*?</p>', "", figures, flags=re.S)
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', figures, flags=re.S)
    outside = re.sub(r"<a [^>]*>.*?</a>", "", figures, flags=re.S)
    assert not re.findall(r"\d", re.sub(r"<[^>]+>", "", outside)), "a number without a link"
    numbers = [re.search(r"\d+", re.sub(r"<[^>]+>", "", text)) for _href, text in links]
    return [
        (unescape(href), int(number.group()) if number else None)  # "On time: —%" has none
        for (href, _text), number in zip(links, numbers, strict=True)
    ]


def rows_behind(client, href):
    """How many things the list at ``href`` shows: its rows, or for the process register filtered
    by KPI status the KPIs in that status (one process can hold several)."""
    response = client.get(href)
    assert response.status_code == 200, href
    page = response.context["page"]
    if href.startswith(reverse("processes:list")):
        return sum(process.kpi_count for process in page.object_list)
    return page.paginator.count


def test_every_number_links_to_the_list_behind_it(
    client, quality_manager, agency, department_a, department_b, owner, outsider, colleague
):
    today = timezone.localdate()
    seed(4, agency=agency, department=department_a, owner=owner, raiser=quality_manager)
    seed(2, agency=agency, department=department_b, owner=outsider, raiser=quality_manager)
    Nonconformity.objects.filter(reference="B-FIN-0").update(severity="minor")
    process = make_process(code="CORE-01", owner=owner, department=department_a)
    other = make_process(code="CORE-02", owner=owner, department=department_a)
    elsewhere = make_process(code="SUP-01", owner=outsider, department=department_b)
    for target, value, name in [
        (process, "97", "green"),
        (process, "85", "amber"),
        (process, "50", "red-1"),
        (process, "60", "red-2"),
        (other, "40", "red-3"),
        (other, None, "none"),
        (elsewhere, "10", "red elsewhere"),
    ]:
        kpi = baker.make(
            Kpi,
            process=target,
            name=name,
            target=Decimal("95"),
            amber_threshold=Decimal("90"),
            red_threshold=Decimal("80"),
        )
        if value is not None:
            Measurement.objects.create(
                kpi=kpi, period=date(today.year, 1, 1), value=Decimal(value), recorded_by=owner
            )
            Measurement.objects.create(  # older, and outside the period: the latest value counts
                kpi=kpi, period=date(today.year - 1, 12, 1), value=Decimal("99"), recorded_by=owner
            )
    overdue = draft_document(owner, department_a, title="Counter procedure")
    make_effective(overdue.revisions.get(), reviewer=colleague, approver=quality_manager)
    Document.objects.filter(pk=overdue.pk).update(next_review_due=today - timedelta(days=3))
    client.force_login(quality_manager)
    response = client.get(
        reverse("audits:dashboard"),
        {
            "department": department_a.pk,
            "start": f"{today.year}-01-01",
            "end": f"{today.year}-12-31",
        },
    )
    data = response.context["data"]
    assert data["kpis"] == {"green": 1, "amber": 1, "red": 3, "none": 1}
    assert data["nc"]["open"] == 4 and data["actions"]["overdue"] == 4
    assert data["documents_overdue"] == 1
    links = dashboard_links(response.content.decode())
    followed = 0
    for href, number in links:
        if href.startswith(reverse("services:statistics")):
            assert client.get(href).status_code == 200
            continue
        assert f"department={department_a.pk}" in href, href
        assert rows_behind(client, href) == number, href
        followed += 1
    checked = {href.split("?")[0] for href, _number in links}
    assert {
        reverse("capa:nc_list"),
        reverse("capa:action_list"),
        reverse("auditing:audit_list"),
        reverse("processes:list"),
        reverse("documents:register"),
        reverse("services:statistics"),
    } <= checked
    kpi_links = [(h, n) for h, n in links if h.startswith(reverse("processes:list"))]
    assert sorted(n for _h, n in kpi_links) == [1, 1, 1, 3]
    assert followed >= 15


def test_audit_programme_progress_and_coverage(client, quality_manager, audit, auditor):
    workflow.audit_start(audit=audit, actor=auditor)
    client.force_login(quality_manager)
    response = client.get(reverse("audits:dashboard"))
    data = response.context["data"]
    assert data["audits"]["in_progress"] == 1 and data["audits"]["total"] == 1
    unaudited = {c.number for c in response.context["charts"]["unaudited_clauses"]}
    assert "8.1" not in unaudited and "9.2" in unaudited
    assert "<svg" in response.content.decode()


def test_a_period_in_the_wrong_order_is_a_400(client, quality_manager):
    client.force_login(quality_manager)
    response = client.get(reverse("audits:dashboard"), {"start": "2026-12-01", "end": "2026-01-01"})
    assert response.status_code == 400


def test_services_section_shows_deadline_compliance_and_satisfaction(
    client, quality_manager, settings, tmp_path
):
    from services import workflow as service_workflow
    from tests.services.conftest import make_request

    settings.MEDIA_ROOT = tmp_path / "media"
    from services.models import Service

    refund = Service.objects.create(
        agency=quality_manager.agency,
        code="FIN-REFUND",
        name_zh="退费",
        name_en="Refund",
        department=quality_manager.departments.first(),
        commitment_days=3,
    )
    first, second = make_request(refund), make_request(refund)
    for item in (first, second):
        service_workflow.acknowledge(request_id=item.pk, actor=quality_manager)
        service_workflow.start_work(request_id=item.pk, actor=quality_manager)
        service_workflow.resolve(request_id=item.pk, actor=quality_manager, note="Refunded")
    service_workflow.rate(tracking_code=first.tracking_code, score=5, comment="Quick")
    service_workflow.rate(tracking_code=second.tracking_code, score=2, comment="Slow reply")
    client.force_login(quality_manager)
    page = client.get(reverse("audits:dashboard")).content.decode()
    assert "Requests: 2" in page and "On time: 100.0%" in page and "Satisfaction: 50.0%" in page


@pytest.mark.parametrize("size", [3, 60])
def test_query_count_does_not_grow(
    client, quality_manager, agency, department_a, owner, size, django_assert_num_queries
):
    seed(size, agency=agency, department=department_a, owner=owner, raiser=quality_manager)
    raise_nc(quality_manager, department=department_a, owner=owner)
    client.force_login(quality_manager)
    client.get(reverse("audits:dashboard"))  # warm caches of the session and roles
    with django_assert_num_queries(QUERIES):
        assert (
            client.get(reverse("audits:dashboard"), {"department": department_a.pk}).status_code
            == 200
        )


QUERIES = 17  # one aggregate query for the citizen-service figures


def test_staff_and_auditors_cannot_open_the_dashboard(client, owner, auditor, stranger):
    for person in (owner, auditor, stranger):
        client.force_login(person)
        assert client.get(reverse("audits:dashboard")).status_code == 403
