"""The demo: at least 10 services across departments and a year of requests in every state."""

import pytest
from django.core.management import call_command

from services.models import Holiday, Service, ServiceRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_catalogue_and_a_year_of_requests_in_every_state():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Service.objects.count() >= 10
    assert Service.objects.values("department").distinct().count() >= 5
    assert Holiday.objects.exists()
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert statuses == set(ServiceRequest.Status.values)
    assert ServiceRequest.objects.filter(rating__isnull=False).exists()
    assert ServiceRequest.objects.filter(updates__text__startswith="Transferred").exists()
    dates = ServiceRequest.objects.values_list("submitted_at", flat=True)
    assert (max(dates) - min(dates)).days >= 300
    count = ServiceRequest.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert ServiceRequest.objects.count() == count
