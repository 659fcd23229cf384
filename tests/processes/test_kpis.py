"""KPIs: traffic-light status both ways, one measurement per period, corrections in history."""

from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from processes import periods, workflow
from processes.models import Kpi, Measurement, Status, kpi_status

pytestmark = pytest.mark.django_db

LAST_MONTH = periods.last_completed_period(timezone.localdate(), "monthly")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("99", Status.GREEN),
        ("90", Status.GREEN),
        ("89.9", Status.AMBER),
        ("80", Status.AMBER),
        ("79.99", Status.RED),
        ("0", Status.RED),
    ],
)
def test_status_when_higher_is_better(value, expected):
    status = kpi_status(
        Decimal(value),
        direction=Kpi.Direction.HIGHER_IS_BETTER,
        amber_threshold=Decimal(90),
        red_threshold=Decimal(80),
    )
    assert status == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", Status.GREEN),
        ("10", Status.GREEN),
        ("10.5", Status.AMBER),
        ("15", Status.AMBER),
        ("15.01", Status.RED),
        ("40", Status.RED),
    ],
)
def test_status_when_lower_is_better(value, expected):
    status = kpi_status(
        Decimal(value),
        direction=Kpi.Direction.LOWER_IS_BETTER,
        amber_threshold=Decimal(10),
        red_threshold=Decimal(15),
    )
    assert status == expected


def test_thresholds_must_point_the_way_of_the_direction(client, owner, process):
    client.force_login(owner)
    response = client.post(
        reverse("processes:kpi_create", args=[process.pk]),
        {
            "name": "Average decision time",
            "unit": "days",
            "target": "8",
            "direction": "lower",
            "frequency": "monthly",
            "amber_threshold": "6",
            "red_threshold": "12",
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert "Lower is better, so the target must be at most the amber threshold" in (
        response.content.decode()
    )
    assert not Kpi.objects.exists()


def test_owner_records_a_measurement_and_sees_its_status(client, owner, kpi):
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_create", args=[kpi.pk]),
        {"period": LAST_MONTH.isoformat(), "value": "85.5"},
    )
    assert response.status_code == 302
    measurement = Measurement.objects.get(kpi=kpi)
    assert measurement.value == Decimal("85.5") and measurement.status == Status.AMBER
    assert measurement.recorded_by == owner
    page = client.get(kpi.get_absolute_url()).content.decode()
    assert "Watch" in page


def test_one_measurement_per_period_on_the_form(client, owner, kpi):
    workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(91), actor=owner)
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_create", args=[kpi.pk]),
        {"period": LAST_MONTH.isoformat(), "value": "50"},
    )
    assert response.status_code == 400
    assert "already has a value" in response.content.decode()
    assert Measurement.objects.get(kpi=kpi).value == Decimal(91)


def test_one_measurement_per_period_in_the_workflow(owner, kpi):
    workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(91), actor=owner)
    with pytest.raises(workflow.ProcessRuleError, match="correct that measurement"):
        workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(50), actor=owner)


def test_one_measurement_per_period_in_the_database(owner, kpi):
    Measurement.objects.create(kpi=kpi, period=LAST_MONTH, value=1, recorded_by=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(kpi=kpi, period=LAST_MONTH, value=2, recorded_by=owner)


def test_a_value_that_is_not_a_number_is_refused(client, owner, kpi):
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_create", args=[kpi.pk]),
        {"period": LAST_MONTH.isoformat(), "value": "ninety"},
    )
    assert response.status_code == 400
    assert "Enter the value as a number" in response.content.decode()
    assert not Measurement.objects.exists()


def test_a_period_that_is_not_offered_is_refused(client, owner, kpi):
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_create", args=[kpi.pk]),
        {"period": "2026-02-15", "value": "90"},
    )
    assert response.status_code == 400
    assert not Measurement.objects.exists()


def test_the_workflow_refuses_misaligned_and_future_periods(owner, kpi):
    with pytest.raises(workflow.ProcessRuleError, match="does not start a monthly period"):
        workflow.measurement_record(kpi=kpi, period=date(2025, 3, 15), value=1, actor=owner)
    future = periods.shift(periods.period_start(timezone.localdate(), "monthly"), "monthly", 2)
    with pytest.raises(workflow.ProcessRuleError, match="has not started yet"):
        workflow.measurement_record(kpi=kpi, period=future, value=1, actor=owner)


def test_a_correction_is_kept_in_history_with_its_reason(client, owner, quality_manager, kpi):
    measurement = workflow.measurement_record(
        kpi=kpi, period=LAST_MONTH, value=Decimal(70), actor=owner
    )
    client.force_login(quality_manager)
    response = client.post(
        reverse("processes:measurement_correct", args=[measurement.pk]),
        {"value": "97", "reason": "Typo: 97 was keyed as 70"},
    )
    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.value == Decimal(97)
    versions = list(measurement.history.order_by("history_date"))
    assert [v.value for v in versions] == [Decimal(70), Decimal(97)]
    assert versions[-1].history_change_reason == "Corrected: Typo: 97 was keyed as 70"
    assert versions[-1].history_user == quality_manager
    assert "Typo: 97 was keyed as 70" in client.get(kpi.get_absolute_url()).content.decode()


def test_a_correction_without_a_reason_is_refused(client, owner, kpi):
    measurement = workflow.measurement_record(
        kpi=kpi, period=LAST_MONTH, value=Decimal(70), actor=owner
    )
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_correct", args=[measurement.pk]),
        {"value": "97", "reason": ""},
    )
    assert response.status_code == 400
    measurement.refresh_from_db()
    assert measurement.value == Decimal(70)
    with pytest.raises(workflow.ProcessRuleError, match="Say why"):
        workflow.measurement_correct(
            measurement=measurement, value=Decimal(97), reason=" ", actor=owner
        )


def test_frequency_cannot_change_once_measured(owner, kpi):
    workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(91), actor=owner)
    with pytest.raises(workflow.ProcessRuleError, match="frequency cannot change"):
        workflow.kpi_update(kpi=kpi, actor=owner, fields={"frequency": "quarterly"})


def test_kpi_page_draws_a_trend_chart_in_the_status_colours(client, owner, kpi):
    month = LAST_MONTH
    for value in (95, 85, 70):  # green, amber, red
        Measurement.objects.create(kpi=kpi, period=month, value=value, recorded_by=owner)
        month = periods.shift(month, "monthly", -1)
    client.force_login(owner)
    page = client.get(kpi.get_absolute_url()).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    dots = {c.get("fill") for c in root.iterfind(".//s:circle", ns)}
    assert dots == {"#1e7b34", "#d08a00", "#b3261e"}
    assert root.find(".//s:polyline", ns) is not None
    assert "target 95" in svg


def test_quarterly_periods():
    assert periods.period_start(date(2026, 5, 20), "quarterly") == date(2026, 4, 1)
    assert periods.label(date(2026, 4, 1), "quarterly") == "2026-Q2"
    assert periods.last_completed_period(date(2026, 1, 5), "quarterly") == date(2025, 10, 1)
    assert periods.period_end(date(2026, 10, 1), "quarterly") == date(2026, 12, 31)
    assert periods.due_date(date(2026, 1, 1), "yearly") == date(2026, 12, 31) + timedelta(days=10)


def test_a_duplicate_kpi_name_is_a_clear_error_not_a_500(client, owner, process, kpi):
    client.force_login(owner)
    data = {
        "name": kpi.name,
        "unit": "%",
        "target": "95",
        "direction": "higher",
        "frequency": "monthly",
        "amber_threshold": "90",
        "red_threshold": "80",
    }
    response = client.post(reverse("processes:kpi_create", args=[process.pk]), data)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Kpi.objects.count() == 1
