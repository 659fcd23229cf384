"""A risk or opportunity's treatment is tracked as an action from the risk page (ISO 9001 6.1.2)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.capa.models import Action
from processes.models import Risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(process, owner):
    return Risk.objects.create(
        process=process,
        description="Backlog at the counter",
        likelihood=4,
        impact=4,
        owner=owner,
        review_date=timezone.localdate() + timedelta(days=60),
    )


def post(client, person, risk, **data):
    client.force_login(person)
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    payload = {
        "title": "Open a second counter on Mondays",
        "owner": risk.owner_id,
        "due_date": due,
        **data,
    }
    return client.post(reverse("capa:risk_action_create", args=[risk.pk]), payload)


def test_the_owner_tracks_a_treatment_and_sees_it_on_the_risk_page(client, risk, owner):
    response = post(client, owner, risk)
    action = Action.objects.get()
    assert response.status_code == 302 and action.risk == risk and action.kind == Action.Kind.RISK
    page = client.get(reverse("processes:risk_edit", args=[risk.pk])).content.decode()
    assert "Open a second counter on Mondays" in page


def test_readers_cannot_and_bad_input_is_a_400(client, risk, outsider, owner):
    assert post(client, outsider, risk).status_code == 403
    assert post(client, owner, risk, due_date="yesterday").status_code == 400
    assert not Action.objects.exists()
