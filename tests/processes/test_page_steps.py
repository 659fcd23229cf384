"""Each page offers exactly the steps the workflow would take from this person, and a step not
offered is refused when posted anyway (4xx, nothing changed)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.capa.models import Action
from processes import periods, workflow
from processes.models import Interaction, Kpi, Measurement, Process, Risk
from tests.page_steps import shown_steps

from .conftest import make_process

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
LAST_MONTH = periods.last_completed_period(timezone.localdate(), "monthly")
EARLIER_MONTH = periods.shift(LAST_MONTH, "monthly", -1)


@pytest.fixture
def world(owner, process, kpi):
    """A process feeding another of department A, a measured KPI and an open risk."""
    second = make_process(code="CORE-02", owner=owner, department=process.department)
    link = workflow.interaction_add(source=process, target=second, output="Permit", actor=owner)
    measurement = workflow.measurement_record(
        kpi=kpi, period=LAST_MONTH, value=Decimal(91), actor=owner
    )
    risk = workflow.risk_create(
        process=process,
        actor=owner,
        fields={
            "description": "Backlog after a policy change",
            "likelihood": 2,
            "impact": 3,
            "owner": owner,
            "review_date": timezone.localdate() + timedelta(days=30),
        },
    )
    return {
        "process": process,
        "second": second,
        "link": link,
        "kpi": kpi,
        "measurement": measurement,
        "risk": risk,
    }


def state():
    """Everything a step could change, to compare before and after a refused post."""
    return (
        list(Process.objects.values_list("code", "name", "is_active").order_by("pk")),
        list(Kpi.objects.values_list("name", "target", "is_active").order_by("pk")),
        list(Measurement.all_records.values_list("period", "value", "voided_at").order_by("pk")),
        list(Risk.objects.values_list("likelihood", "impact", "description").order_by("pk")),
        list(Interaction.objects.values_list("source", "target", "output").order_by("pk")),
        Action.objects.count(),
    )


def steps_on(response):
    assert response.status_code == 200
    return shown_steps(response.content.decode())


def expected(*records, person):
    return {step for record in records for step in workflow.available_steps(record, person)}


def pages(w):
    """Each detail page, the records whose steps it shows, and a valid post for every step it
    can offer (valid, so that a refusal is the access rule's, not the form's)."""
    p, kpi, risk, owner = w["process"], w["kpi"], w["risk"], w["process"].owner
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    risk_fields = {
        "kind": "risk",
        "description": "Changed",
        "likelihood": "5",
        "impact": "5",
        "owner": owner.pk,
        "review_date": due,
    }
    kpi_fields = {
        "name": "Changed",
        "target": "9",
        "direction": "higher",
        "frequency": "monthly",
        "amber_threshold": "8",
        "red_threshold": "7",
        "is_active": "on",
    }
    process_fields = {
        "code": "HACK-01",
        "name": "Changed",
        "category": "core",
        "owner": owner.pk,
        "department": p.department_id,
        "is_active": "on",
    }
    return {
        "process": (
            p.get_absolute_url(),
            [p, w["link"]],
            {
                "edit": (reverse("processes:edit", args=[p.pk]), process_fields),
                "add_kpi": (reverse("processes:kpi_create", args=[p.pk]), kpi_fields),
                "add_risk": (reverse("processes:risk_create", args=[p.pk]), risk_fields),
                "add_interaction": (
                    reverse("processes:interaction_add", args=[p.pk]),
                    {"target": w["second"].pk, "output": "Another output"},
                ),
                "remove_interaction": (
                    reverse("processes:interaction_remove", args=[w["link"].pk]),
                    {},
                ),
            },
        ),
        "kpi": (
            kpi.get_absolute_url(),
            [kpi, w["measurement"]],
            {
                "record_value": (
                    reverse("processes:measurement_create", args=[kpi.pk]),
                    {"period": EARLIER_MONTH.isoformat(), "value": "50"},
                ),
                "edit": (reverse("processes:kpi_edit", args=[kpi.pk]), kpi_fields),
                "correct": (
                    reverse("processes:measurement_correct", args=[w["measurement"].pk]),
                    {"value": "12", "reason": "Keyed wrongly"},
                ),
                "void": (
                    reverse("processes:measurement_void", args=[w["measurement"].pk]),
                    {"reason": "Entered twice"},
                ),
            },
        ),
        "risk": (
            risk.get_absolute_url(),
            [risk],
            {
                "edit": (reverse("processes:risk_edit", args=[risk.pk]), risk_fields),
                "track_action": (
                    reverse("capa:risk_action_create", args=[risk.pk]),
                    {"title": "Second counter", "owner": owner.pk, "due_date": due},
                ),
            },
        ),
    }


@pytest.mark.parametrize("page", ["process", "kpi", "risk"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_page_offers_exactly_the_available_steps_and_refuses_the_others(
    client, request, world, persona, page
):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    url, records, posts = pages(world)[page]
    offered = steps_on(client.get(url))
    assert offered == expected(*records, person=person)
    assert offered <= set(posts)
    before = state()
    for step in sorted(set(posts) - offered):
        step_url, data = posts[step]
        response = client.post(step_url, data)
        assert response.status_code in (403, 404, 409), (step, response.status_code)
        assert state() == before, step


@pytest.mark.parametrize("persona", ["owner", "quality_manager"])
def test_editors_are_offered_every_step(client, request, world, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    for url, _records, posts in pages(world).values():
        assert steps_on(client.get(url)) == set(posts)


@pytest.mark.parametrize(
    "page, step",
    [
        ("process", "edit"),
        ("process", "add_kpi"),
        ("process", "add_risk"),
        ("process", "add_interaction"),
        ("process", "remove_interaction"),
        ("kpi", "record_value"),
        ("kpi", "edit"),
        ("kpi", "correct"),
        ("kpi", "void"),
        ("risk", "edit"),
        ("risk", "track_action"),
    ],
)
def test_an_offered_step_posted_by_its_owner_changes_the_record(client, owner, world, page, step):
    """The posts above are valid: taken by someone offered the step, each one changes something."""
    client.force_login(owner)
    step_url, data = pages(world)[page][2][step]
    before = state()
    response = client.post(step_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert state() != before
