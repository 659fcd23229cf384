"""Statistics per service and department per month, on a page and as a function."""

from datetime import date

import pytest
from django.urls import reverse

from services import workflow
from services.statistics import monthly_statistics, totals
from tests.services.conftest import local, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(service, owner):
    on_time = make_request(service, at=local(2026, 3, 2, 9))  # due 5 March
    workflow.start_work(request_id=on_time.pk, actor=owner, at=local(2026, 3, 2, 10))
    workflow.resolve(request_id=on_time.pk, actor=owner, note="ok", at=local(2026, 3, 4, 9))
    workflow.rate(tracking_code=on_time.tracking_code, score=5)
    late = make_request(service, at=local(2026, 3, 2, 9))
    workflow.start_work(request_id=late.pk, actor=owner, at=local(2026, 3, 2, 10))
    workflow.resolve(request_id=late.pk, actor=owner, note="ok", at=local(2026, 3, 10, 9))
    workflow.rate(tracking_code=late.tracking_code, score=2)
    make_request(service, at=local(2026, 3, 20, 9))  # still open
    make_request(service, at=local(2026, 4, 1, 9))


def test_monthly_rows_count_requests_on_time_rate_median_and_satisfaction(service, march):
    rows = monthly_statistics(agency=service.agency, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert [(r.month, r.requests) for r in rows] == [(date(2026, 3, 1), 3), (date(2026, 4, 1), 1)]
    row = rows[0]
    assert (row.service_code, row.department_code) == ("FIN-REFUND", "FIN")
    assert row.finished == 2 and row.on_time == 1 and row.on_time_rate == 0.5
    assert row.median_resolution_days == 5.0  # 2 and 8 days
    assert row.satisfaction == 3.5 and row.ratings == 2
    summary = totals(rows)
    assert summary["requests"] == 4 and summary["satisfaction"] == 3.5


def test_statistics_filter_by_department(service, march, department_b):
    rows = monthly_statistics(
        agency=service.agency,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        department=department_b,
    )
    assert rows == []


def test_statistics_query_count_does_not_grow(service, march, django_assert_num_queries):
    with django_assert_num_queries(1):
        monthly_statistics(agency=service.agency, start=date(2026, 1, 1), end=date(2026, 12, 31))
    for _n in range(5):
        make_request(service, at=local(2026, 5, 4, 9))
    with django_assert_num_queries(1):
        monthly_statistics(agency=service.agency, start=date(2026, 1, 1), end=date(2026, 12, 31))


def test_statistics_page(client, owner, certifier, march):
    client.force_login(owner)
    response = client.get(reverse("services:statistics"), {"year": 2026})
    assert response.status_code == 200
    assert "FIN-REFUND" in response.content.decode()
    client.force_login(certifier)
    assert client.get(reverse("services:statistics")).status_code == 403
