"""A KPI value recorded in error is voided in the portal with a reason: kept and shown as VOID,
left out of every figure, its period free to be measured again (issue 14)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from processes import periods, workflow
from processes.models import Kpi, Measurement
from processes.workflow import ProcessRuleError
from qms_portal.voiding import VOIDED

pytestmark = pytest.mark.django_db

LAST_MONTH = periods.last_completed_period(timezone.localdate(), "monthly")


@pytest.fixture
def wrong_value(kpi, owner):
    """A red value keyed for the wrong KPI: the process owner voids it."""
    return workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(12), actor=owner)


def test_a_void_value_is_kept_with_who_when_and_why(wrong_value, owner):
    workflow.measurement_void(measurement=wrong_value, reason="Entered twice", actor=owner)
    kept = Measurement.all_records.get(pk=wrong_value.pk)
    assert kept.is_void and kept.voided_by == owner and kept.void_reason == "Entered twice"
    assert kept.history.first().history_change_reason == f"{VOIDED}: Entered twice"


def test_figures_leave_a_void_value_out_and_its_period_can_be_measured_again(
    wrong_value, kpi, owner
):
    assert Kpi.objects.pks_in_status("red") == [kpi.pk]
    workflow.measurement_void(measurement=wrong_value, reason="Wrong KPI", actor=owner)
    assert Kpi.objects.with_latest_value().get(pk=kpi.pk).latest_value is None
    assert Kpi.objects.pks_in_status("red") == []
    assert list(kpi.measurements.all()) == []
    workflow.measurement_record(kpi=kpi, period=LAST_MONTH, value=Decimal(95), actor=owner)
    assert Kpi.objects.pks_in_status("green") == [kpi.pk]


def test_voiding_needs_a_reason_and_happens_once(wrong_value, owner):
    with pytest.raises(ProcessRuleError):
        workflow.measurement_void(measurement=wrong_value, reason="  ", actor=owner)
    workflow.measurement_void(measurement=wrong_value, reason="Entered twice", actor=owner)
    with pytest.raises(ProcessRuleError):
        workflow.measurement_void(measurement=wrong_value, reason="Again", actor=owner)


def test_only_the_process_owner_or_a_quality_manager_voids(wrong_value, colleague, outsider):
    for person in (colleague, outsider):
        with pytest.raises(PermissionDenied):
            workflow.measurement_void(measurement=wrong_value, reason="Mine now", actor=person)
    assert not Measurement.all_records.get(pk=wrong_value.pk).is_void


def test_the_kpi_page_shows_the_value_as_void_and_offers_it_no_step(client, wrong_value, owner):
    client.force_login(owner)
    response = client.post(
        reverse("processes:measurement_void", args=[wrong_value.pk]), {"reason": "Entered twice"}
    )
    assert response.status_code == 302
    page = client.get(wrong_value.kpi.get_absolute_url()).content.decode()
    assert "VOID" in page and "Entered twice" in page
    assert 'data-step="void"' not in page and 'data-step="correct"' not in page


def test_a_void_posted_without_a_reason_is_refused_and_changes_nothing(client, wrong_value, owner):
    client.force_login(owner)
    response = client.post(reverse("processes:measurement_void", args=[wrong_value.pk]), {})
    assert response.status_code == 400
    assert not Measurement.all_records.get(pk=wrong_value.pk).is_void
