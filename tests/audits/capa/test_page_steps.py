"""The nonconformity and action pages offer exactly the steps the workflow accepts from this person.

For every persona and every state, the forms on the page (``data-step``) are
``workflow.available_steps`` and the tables below; each offered step is accepted when posted, and
every step not offered is refused (4xx) without changing anything.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.capa import workflow
from audits.capa.models import Action, Nonconformity
from tests.audits.conftest import nc_to_implemented, raise_nc
from tests.page_steps import (
    assert_accepted,
    assert_page_offers,
    assert_refused_unchanged,
    fixtures_by_name,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
HIDDEN = None  # the person does not see the record at all (404)


@pytest.fixture
def world(request, settings):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0  # verification may follow implementation at once
    return fixtures_by_name(request, [*PERSONAS, "department_a"])


def later(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- Nonconformity page ---------------------------------------------------------------------

NC_STATES = [
    "open",
    "contained",
    "analysed",
    "planned",
    "implemented",
    "implemented_waiting",
    "closed",
    "reopened",
]
NC_STEPS = {"contain", "analyse", "plan", "implement", "verify", "void"}
#: The step the responsible person (and a quality manager) takes in each state.
WORK = {"open": "contain", "contained": "analyse", "analysed": "plan", "planned": "implement"}
WORK["reopened"] = "analyse"


def nc_expected(state, persona):
    """The raiser is the quality manager, the responsible person the owner (head of A)."""
    if persona == "outsider" or (persona == "certifier" and state != "closed"):
        return HIDDEN
    steps = set()
    if persona in ("owner", "quality_manager") and state in WORK:
        steps.add(WORK[state])
    if persona == "quality_manager" and state == "implemented":
        steps.add("verify")
    if persona == "quality_manager" and state != "closed":  # raised in error: void, not delete
        steps.add("void")
    return steps


def build_nc(state, w):
    nc = raise_nc(w.quality_manager, department=w.department_a, owner=w.owner)
    if state == "open":
        return nc
    if state in ("contained", "analysed", "planned"):
        nc_to_implemented_until(nc, w, state)
        return Nonconformity.objects.get(pk=nc.pk)
    nc = nc_to_implemented(nc, w.owner, w.colleague)
    if state == "implemented_waiting":
        Nonconformity.objects.filter(pk=nc.pk).update(
            verification_due=timezone.localdate() + timedelta(days=5)
        )
    if state in ("closed", "reopened"):
        workflow.nc_verify(
            nc=nc, actor=w.quality_manager, effective=state == "closed", notes="Checked counts"
        )
    return Nonconformity.objects.get(pk=nc.pk)


def nc_to_implemented_until(nc, w, state):
    workflow.nc_contain(nc=nc, actor=w.owner, containment="Recalled the permits.")
    if state == "contained":
        return
    workflow.nc_analyse(
        nc=nc,
        actor=w.owner,
        method="five_whys",
        analysis={"whys": ["No second check", "Checklist lacks the step"]},
        root_cause="The checklist lacks the step.",
    )
    if state == "analysed":
        return
    workflow.nc_plan(
        nc=nc,
        actor=w.owner,
        actions=[{"title": "Add the step", "owner": w.colleague, "due_date": timezone.localdate()}],
    )
    for action in nc.actions.all():  # done, so the plan may be marked implemented
        workflow.action_complete(action=action, actor=w.colleague, note="Step added.")


def nc_step_data(step, w):
    return {
        "contain": {"containment": "Recalled"},
        "analyse": {"method": "five_whys", "why_1": "a", "why_2": "b", "root_cause": "c"},
        "plan": {"title_1": "Fix", "owner_1": w.colleague.pk, "due_1": later(7)},
        "implement": {},
        "verify": {"effective": "yes", "notes": "No repeat."},
        "void": {"reason": "A duplicate of another nonconformity."},
    }[step]


def nc_snapshot(nc):
    nc = Nonconformity.all_records.get(pk=nc.pk)
    return (
        nc.voided_at,
        nc.status,
        nc.round,
        nc.containment,
        nc.root_cause,
        nc.verification_notes,
        nc.closed_at,
        nc.actions.count(),
        nc.history.count(),
    )


@pytest.mark.parametrize("state", NC_STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_nc_page_offers_exactly_the_steps_the_workflow_accepts(state, persona, world, client):
    w = world
    nc = build_nc(state, w)
    person = getattr(w, persona)
    expected = nc_expected(state, persona)
    assert_page_offers(
        client,
        person,
        nc.get_absolute_url(),
        expected,
        lambda: workflow.available_steps(nc, person),
    )

    def post(step):
        url = reverse("capa:nc_step", args=[nc.pk, step])
        return client.post(url, nc_step_data(step, w))

    assert_refused_unchanged(post, NC_STEPS - (expected or set()), lambda: nc_snapshot(nc))
    assert_accepted(post, expected or ())


def test_a_nc_waiting_for_verification_says_from_when(world, client):
    nc = build_nc("implemented_waiting", world)
    client.force_login(world.quality_manager)
    page = client.get(nc.get_absolute_url()).content.decode()
    assert "Effectiveness can be verified from" in page
    assert 'data-step="verify"' not in page


# --- Action page ----------------------------------------------------------------------------

ACTION_STATES = ["open", "done", "verified"]
ACTION_STEPS = {"complete", "verify"}
#: The action is a corrective action of department A owned by the colleague.
ACTION_EXPECTED = {
    "open": {"colleague": {"complete"}, "quality_manager": {"complete"}},
    "done": {"quality_manager": {"verify"}},
    "verified": {},
}


def action_expected(state, persona):
    if persona in ("outsider", "certifier"):
        return HIDDEN
    return ACTION_EXPECTED[state].get(persona, set())


def build_action(state, w):
    nc = build_nc("analysed", w)
    workflow.nc_plan(
        nc=nc,
        actor=w.owner,
        actions=[
            {"title": "Train the counter", "owner": w.colleague, "due_date": timezone.localdate()}
        ],
    )
    action = nc.actions.get()
    if state in ("done", "verified"):
        workflow.action_complete(action=action, actor=w.colleague, note="Trained.")
    if state == "verified":
        workflow.action_verify(action=action, actor=w.quality_manager, verification="Asked them.")
    return Action.objects.get(pk=action.pk)


ACTION_DATA = {
    "complete": {"complete": "1", "complete-note": "Done"},
    "verify": {"verify": "1", "verify-verification": "Checked"},
}


def action_snapshot(action):
    action = Action.objects.get(pk=action.pk)
    return (
        action.status,
        action.completion_note,
        action.verification,
        action.verified_at,
        action.history.count(),
    )


@pytest.mark.parametrize("state", ACTION_STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_action_page_offers_exactly_the_steps_the_workflow_accepts(
    state, persona, world, client
):
    w = world
    action = build_action(state, w)
    person = getattr(w, persona)
    expected = action_expected(state, persona)
    assert_page_offers(
        client,
        person,
        action.get_absolute_url(),
        expected,
        lambda: workflow.available_action_steps(action, person),
    )

    def post(step):
        return client.post(action.get_absolute_url(), ACTION_DATA[step])

    assert_refused_unchanged(
        post, ACTION_STEPS - (expected or set()), lambda: action_snapshot(action)
    )
    assert_accepted(post, expected or ())
