"""The demo agency gets audits in every state, CAPAs in every state and one management review,
and the dashboard shows them."""

import pytest
from django.core.management import call_command
from django.test import Client

from audits.auditing.models import Audit, AuditProgramme
from audits.capa.models import Action, Nonconformity
from audits.review.models import ManagementReview
from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_demo_has_two_programmes_and_audits_in_every_state(demo):
    assert AuditProgramme.objects.count() == 2
    assert set(Audit.objects.values_list("status", flat=True)) == set(Audit.Status.values)
    assert Audit.objects.filter(checklist__result__in=["minor", "major"]).exists()


def test_demo_has_nonconformities_in_every_state(demo):
    assert set(Nonconformity.objects.values_list("status", flat=True)) == set(
        Nonconformity.Status.values
    )


def test_demo_has_a_signed_review_and_every_kind_of_action(demo):
    assert ManagementReview.objects.get().status == ManagementReview.Status.SIGNED
    assert {"corrective", "review", "risk"} <= set(Action.objects.values_list("kind", flat=True))
    assert Action.objects.overdue().exists()


def test_dashboard_shows_the_demo(demo):
    client = Client()
    assert client.login(username="qm.li", password=DEMO_PASSWORD)
    response = client.get("/audits/dashboard/")
    assert response.status_code == 200
    data = response.context["data"]
    assert (
        data["nc"]["open"] >= 5 and data["actions"]["overdue"] >= 1 and data["audits"]["total"] >= 3
    )
