"""The process register filtered by KPI status (the dashboard's KPI counts link here): processes
with an active KPI whose latest value in the period is green, amber, red or missing."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from model_bakery import baker

from processes.models import Kpi, Measurement

from .conftest import make_process

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def kpis(owner, department_a):
    first = make_process(code="CORE-01", owner=owner, department=department_a)
    second = make_process(code="CORE-02", owner=owner, department=department_a)
    retired = make_process(code="CORE-03", owner=owner, department=department_a, is_active=False)
    made = {}
    for process, name, values in [
        (first, "green", {1: "97"}),
        (first, "red now", {1: "95", 3: "50"}),  # the latest value decides
        (second, "red", {2: "70"}),
        (second, "silent", {}),
        (second, "red last year only", {}),
        (retired, "red but retired", {2: "10"}),
    ]:
        kpi = baker.make(
            Kpi,
            process=process,
            name=name,
            target=Decimal("95"),
            amber_threshold=Decimal("90"),
            red_threshold=Decimal("80"),
        )
        for month, value in values.items():
            Measurement.objects.create(
                kpi=kpi, period=date(YEAR, month, 1), value=Decimal(value), recorded_by=owner
            )
        made[name] = kpi
    Measurement.objects.create(
        kpi=made["red last year only"],
        period=date(YEAR - 1, 6, 1),
        value=Decimal("1"),
        recorded_by=owner,
    )
    return made


def rows(client, **params):
    page = client.get(reverse("processes:list"), params).context["page"]
    return {p.code: p.kpi_count for p in page.object_list}


def test_each_status_lists_the_processes_with_kpis_in_it_counting_only_those(client, owner, kpis):
    client.force_login(owner)
    period = {"kpi_from": f"{YEAR}-01-01", "kpi_to": f"{YEAR}-12-31"}
    assert rows(client, kpi_status="red", **period) == {"CORE-01": 1, "CORE-02": 1}
    assert rows(client, kpi_status="green", **period) == {"CORE-01": 1}
    assert rows(client, kpi_status="amber", **period) == {}
    assert rows(client, kpi_status="none", **period) == {"CORE-02": 2}
    assert rows(client, kpi_status="red") == {"CORE-01": 1, "CORE-02": 2}  # any time


def test_a_period_in_the_wrong_order_says_so_and_filters_nothing(client, owner, kpis):
    client.force_login(owner)
    response = client.get(
        reverse("processes:list"),
        {"kpi_status": "red", "kpi_from": f"{YEAR}-12-31", "kpi_to": f"{YEAR}-01-01"},
    )
    assert response.status_code == 200  # the register ignores filters it cannot apply
    assert "The KPI period ends before it starts" in response.content.decode()
    assert len(response.context["page"].object_list) == 3
