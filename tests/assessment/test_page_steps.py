"""The self-assessment page offers exactly the steps the workflow accepts from this person now.

For every persona and every state (draft, under review, approved with a red indicator), the
forms on the page (``data-step``) are ``workflow.available_steps(assessment, person)`` and the
table below; each offered step is accepted when posted, and every step not offered is refused
(4xx) without changing anything.
"""

import pytest
from django.urls import reverse

from assessment import workflow
from assessment.models import SelfAssessment
from audits.capa.models import Action
from tests.assessment.world import approve, assess_all
from tests.conftest import PASSWORD
from tests.page_steps import (
    assert_accepted,
    assert_page_offers,
    assert_refused_unchanged,
    fixtures_by_name,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
STATES = ["draft", "under_review", "approved"]
ALL_STEPS = {"refresh", "submit", "approve", "return", "raise_actions"}
HIDDEN = None  # 404: external certifiers do not see the self-assessment

#: state → persona → steps (the quality manager coordinates, the owner is the named approver).
EXPECTED = {
    "draft": {"quality_manager": {"refresh", "submit"}},
    "under_review": {"owner": {"approve", "return"}, "quality_manager": {"return"}},
    "approved": {"quality_manager": {"raise_actions"}},
}

#: step → (URL step, valid data): only the rule can refuse.
REQUESTS = {
    "refresh": ("refresh", {}),
    "submit": ("submit", {}),
    "approve": ("approve", {"password": PASSWORD}),
    "return": ("return", {"reason": "Check G07 again"}),
    "raise_actions": ("actions", {"due_date": ""}),
}


def expected(state, persona):
    if persona == "certifier":
        return HIDDEN
    return EXPECTED[state].get(persona, set())


def build(state, assessment, w):
    if state == "draft":
        return assess_all(assessment, w.quality_manager)
    if state == "under_review":
        assess_all(assessment, w.quality_manager)
        workflow.assessment_submit(assessment=assessment, actor=w.quality_manager)
        assessment.refresh_from_db()
        return assessment
    return approve(assessment, w.quality_manager, w.owner, {"G07": "red"})


@pytest.fixture
def world(request):
    return fixtures_by_name(request, [*PERSONAS, "assessment"])


def snapshot(assessment):
    assessment = SelfAssessment.objects.get(pk=assessment.pk)
    return (
        assessment.status,
        assessment.approved_at,
        assessment.figures_at,
        assessment.signatures.count(),
        Action.objects.count(),
        assessment.history.count(),
    )


def post_step(client, step, assessment):
    url_step, data = REQUESTS[step]
    return client.post(reverse("assessment:step", args=[assessment.pk, url_step]), data)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_offers_exactly_the_steps_the_workflow_accepts(state, persona, world, client):
    w = world
    assessment = build(state, w.assessment, w)
    person = getattr(w, persona)
    wanted = expected(state, persona)
    assert_page_offers(
        client,
        person,
        assessment.get_absolute_url(),
        wanted,
        lambda: workflow.available_steps(assessment, person),
    )

    def post(step):
        return post_step(client, step, assessment)

    assert_refused_unchanged(post, ALL_STEPS - (wanted or set()), lambda: snapshot(assessment))
    assert_accepted(post, wanted or ())


def test_no_red_indicator_offers_no_improvement_actions(world, client):
    assessment = approve(world.assessment, world.quality_manager, world.owner)
    assert "raise_actions" not in workflow.available_steps(assessment, world.quality_manager)
    client.force_login(world.quality_manager)
    before = snapshot(assessment)
    assert post_step(client, "raise_actions", assessment).status_code == 400
    assert snapshot(assessment) == before
