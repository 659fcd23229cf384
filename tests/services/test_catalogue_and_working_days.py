"""The public catalogue and working-day arithmetic with the agency's holiday calendar."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from services.models import Holiday, Service
from services.working_days import Calendar, add_working_days
from tests.services.conftest import local, make_request

pytestmark = pytest.mark.django_db


def test_catalogue_lists_public_active_services_without_signing_in(client, service, department_a):
    Service.objects.create(
        agency=service.agency,
        code="FIN-HIDDEN",
        name_zh="内部",
        name_en="Internal only",
        department=department_a,
        commitment_days=1,
        is_public=False,
    )
    Service.objects.create(
        agency=service.agency,
        code="FIN-OLD",
        name_zh="旧",
        name_en="Retired",
        department=department_a,
        commitment_days=1,
        is_active=False,
    )
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    assert list(response.context["services"]) == [service]
    assert "Internal only" not in response.content.decode()


def test_service_name_follows_the_readers_language(service):
    with translation.override("zh-hans"):
        assert service.name == "退费"
    with translation.override("en"):
        assert service.name == "Refund of a fee"


def test_unknown_or_hidden_service_page_is_404(client, service):
    service.is_public = False
    service.save()
    assert client.get(reverse("services:service", args=["FIN-REFUND"])).status_code == 404
    assert client.get(reverse("services:service", args=["NOPE"])).status_code == 404


def test_weekends_are_skipped(agency):
    # Friday 2026-03-06 + 1 working day = Monday 2026-03-09
    assert add_working_days(agency.pk, date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert add_working_days(agency.pk, date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_holidays_are_skipped_and_worked_weekend_days_count(agency):
    Holiday.objects.create(agency=agency, date=date(2026, 10, 1), name="National Day")
    Holiday.objects.create(agency=agency, date=date(2026, 10, 2), name="National Day")
    Holiday.objects.create(agency=agency, date=date(2026, 10, 10), name="Swap", is_working_day=True)
    # Wed 30 Sep + 1 → Thu 1 Oct is a holiday, Fri 2 Oct too, weekend → Mon 5 Oct
    assert add_working_days(agency.pk, date(2026, 9, 30), 1) == date(2026, 10, 5)
    # Fri 9 Oct + 1 → Saturday 10 Oct is worked
    assert add_working_days(agency.pk, date(2026, 10, 9), 1) == date(2026, 10, 10)
    calendar = Calendar.load(agency.pk, date(2026, 9, 1), date(2026, 10, 31))
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 5
    assert calendar.working_days_between(date(2026, 10, 9), date(2026, 9, 30)) == -5


def test_another_agencys_holidays_do_not_count(agency, other_agency):
    Holiday.objects.create(agency=other_agency, date=date(2026, 3, 9), name="Theirs")
    assert add_working_days(agency.pk, date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_due_date_is_the_commitment_in_working_days(service):
    Holiday.objects.create(agency=service.agency, date=date(2026, 3, 10), name="Holiday")
    request = make_request(service, at=local(2026, 3, 6, 10, 0))  # Friday
    # 3 working days after Friday 6 March, skipping Tuesday 10 March: Mon 9, Wed 11, Thu 12
    assert request.due_date == date(2026, 3, 12)


def test_quality_manager_keeps_the_holiday_calendar_in_the_portal(
    client, quality_manager, outsider
):
    url = reverse("services:holidays")
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(quality_manager)
    response = client.post(url, {"date": "2026-12-31", "name": "Year end"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(name="Year end")
    assert holiday.agency == quality_manager.agency
    refused = client.post(url, {"date": "2026-12-30", "name": "x", "is_working_day": "on"})
    assert refused.status_code == 200  # a Wednesday cannot be a worked weekend day
    assert not Holiday.objects.filter(name="x").exists()
    client.post(reverse("services:holiday_delete", args=[holiday.pk]))
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
