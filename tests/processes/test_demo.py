"""seed_demo adds a realistic process model for the city agency, and a second run adds nothing."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from processes.models import Interaction, Kpi, Measurement, Process, Risk

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def counts():
    return [m.objects.count() for m in (Process, Interaction, Kpi, Measurement, Risk)]


def test_demo_has_processes_in_all_three_categories_with_kpis_and_risks():
    seed()
    assert Process.objects.count() >= 12
    assert set(Process.objects.values_list("category", flat=True)) == {
        "management",
        "core",
        "support",
    }
    assert Interaction.objects.count() >= 12
    assert (
        Risk.objects.filter(kind="opportunity").exists()
        and Risk.objects.filter(kind="risk").exists()
    )
    monthly = Kpi.objects.filter(frequency="monthly")
    assert monthly.count() >= 5
    for kpi in monthly:
        assert kpi.measurements.count() >= 23  # two years of months (one left for a reminder)
    colours = Counter(m.status for m in Measurement.objects.select_related("kpi"))
    assert set(colours) == {"green", "amber", "red"}


def test_seeding_twice_adds_no_process_rows():
    seed()
    first = counts()
    seed()
    assert counts() == first


def test_demo_pages_render(client):
    from django.urls import reverse

    from qms_portal.organisation.models import Person

    seed()
    client.force_login(Person.objects.get(username="staff.huang"))
    kpi = Kpi.objects.filter(process__owner__username="staff.huang").first()
    for url in [
        reverse("processes:list"),
        reverse("processes:risks"),
        reverse("processes:map"),
        kpi.get_absolute_url(),
        kpi.process.get_absolute_url(),
        "/",
    ]:
        assert client.get(url).status_code == 200, url


def test_the_demo_shows_one_value_voided_and_no_figure_counts_it(client):
    """Issue 14: a value keyed in error is voided with a reason, not deleted."""
    from processes.demo import VOID_REASON

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    void = Measurement.all_records.get(voided_at__isnull=False)
    assert void.void_reason == VOID_REASON
    assert void not in Measurement.objects.all()
    in_force = void.kpi.measurements.get(period=void.period)  # the right value, recorded after
    latest = Kpi.objects.with_latest_value().get(pk=void.kpi_id).latest_value
    assert in_force.value != void.value and (latest is None or latest != void.value)
    owner = void.kpi.process.owner
    client.force_login(owner)
    page = client.get(void.kpi.get_absolute_url()).content.decode()
    with translation.override(owner.language or "en"):
        assert gettext("VOID") in page and VOID_REASON in page
