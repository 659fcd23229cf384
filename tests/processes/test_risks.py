"""Risks and opportunities: score and level, 1–5 ratings, the 5 × 5 heat map."""

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from processes import workflow
from processes.models import Level, Risk, level_for

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.w3.org/2000/svg"}


def risk_post(owner, **overrides):
    data = {
        "kind": "risk",
        "description": "Backlog after a policy change",
        "likelihood": "3",
        "impact": "4",
        "treatment": "Cross-train staff",
        "owner": owner.pk,
        "review_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "score, level",
    [
        (1, Level.LOW),
        (4, Level.LOW),
        (5, Level.MEDIUM),
        (9, Level.MEDIUM),
        (10, Level.HIGH),
        (16, Level.HIGH),
        (20, Level.CRITICAL),
        (25, Level.CRITICAL),
    ],
)
def test_level_follows_the_score(score, level):
    assert level_for(score) == level


def test_owner_records_a_risk_with_score_and_level(client, owner, process):
    client.force_login(owner)
    response = client.post(reverse("processes:risk_create", args=[process.pk]), risk_post(owner))
    assert response.status_code == 302
    risk = Risk.objects.get()
    assert (risk.score, risk.level) == (12, Level.HIGH)
    assert risk.history.get().history_user == owner


def test_likelihood_6_is_a_form_error_and_nothing_is_saved(client, owner, process):
    client.force_login(owner)
    response = client.post(
        reverse("processes:risk_create", args=[process.pk]), risk_post(owner, likelihood="6")
    )
    assert response.status_code == 400
    assert "likelihood" in response.context["form"].errors
    assert 'class="error"' in response.content.decode()  # shown next to the field
    assert not Risk.objects.exists()


def test_the_workflow_and_the_database_refuse_ratings_outside_1_to_5(owner, process):
    fields = {
        "description": "x",
        "likelihood": 0,
        "impact": 3,
        "owner": owner,
        "review_date": timezone.localdate(),
    }
    with pytest.raises(workflow.ProcessRuleError, match="from 1 to 5"):
        workflow.risk_create(process=process, actor=owner, fields=fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            process=process,
            description="x",
            likelihood=3,
            impact=6,
            owner=owner,
            review_date=timezone.localdate(),
        )


def test_a_risk_owner_from_another_agency_is_refused(owner, process, stranger):
    fields = {
        "description": "x",
        "likelihood": 2,
        "impact": 3,
        "owner": stranger,
        "review_date": timezone.localdate(),
    }
    with pytest.raises(workflow.ProcessRuleError, match="risk owner"):
        workflow.risk_create(process=process, actor=owner, fields=fields)


def make_risk(process, likelihood, impact, **extra):
    return baker.make(
        Risk,
        process=process,
        likelihood=likelihood,
        impact=impact,
        owner=process.owner,
        review_date=timezone.localdate(),
        description=extra.pop("description", f"Risk {likelihood}x{impact}"),
        **extra,
    )


def heat_cells(page):
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    return {
        title.text.split(":")[0]: title.text.split(": ")[1]
        for title in root.iterfind(".//s:title", NS)
        if "×" in (title.text or "")
    }


def test_heat_map_counts_open_risks_per_cell(client, colleague, process):
    make_risk(process, 5, 5)
    make_risk(process, 5, 5)
    make_risk(process, 1, 2)
    make_risk(process, 3, 3, is_closed=True)
    client.force_login(colleague)
    page = client.get(reverse("processes:risks")).content.decode()
    cells = heat_cells(page)
    assert len(cells) == 25
    assert cells["Likelihood 5 × Impact 5"] == "2"
    assert cells["Likelihood 1 × Impact 2"] == "1"
    assert cells["Likelihood 3 × Impact 3"] == "0"
    assert "?likelihood=5&amp;impact=5" in page


def test_a_heat_map_cell_filters_the_register(client, colleague, process):
    make_risk(process, 5, 5, description="Flooding of the archive")
    make_risk(process, 1, 2, description="Printer jam")
    client.force_login(colleague)
    page = client.get(reverse("processes:risks"), {"likelihood": 5, "impact": 5}).content.decode()
    assert "Flooding of the archive" in page and "Printer jam" not in page


def test_a_bad_filter_value_is_not_a_500(client, colleague, process):
    client.force_login(colleague)
    response = client.get(reverse("processes:risks"), {"likelihood": "9", "impact": "x"})
    assert response.status_code == 200
    assert set(response.context["filter_form"].errors) == {"likelihood", "impact"}
    assert 'role="alert"' in response.content.decode()


def test_colleague_reads_a_risk_but_cannot_change_it(client, colleague, process):
    risk = make_risk(process, 2, 2)
    client.force_login(colleague)
    assert client.get(reverse("processes:risk_edit", args=[risk.pk])).status_code == 200
    response = client.post(
        reverse("processes:risk_edit", args=[risk.pk]), risk_post(colleague, likelihood="1")
    )
    assert response.status_code == 403
    risk.refresh_from_db()
    assert risk.likelihood == 2
