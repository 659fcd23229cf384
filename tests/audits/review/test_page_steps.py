"""The management review page offers exactly the steps the workflow accepts from this person.

For every persona and both states (draft, signed), the forms on the page (``data-step``) are
``workflow.available_steps(review, person)`` and the table below; each offered step is accepted
when posted, and every step not offered is refused (4xx) without changing anything.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audits.review import workflow
from audits.review.models import ManagementReview
from tests.conftest import PASSWORD
from tests.page_steps import (
    assert_accepted,
    assert_page_offers,
    assert_refused_unchanged,
    fixtures_by_name,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
STATES = ["draft", "signed"]
ALL_STEPS = {"refresh", "minutes", "action", "sign"}
HIDDEN = None  # the person does not see the review at all (404)
EDIT = {"refresh", "minutes", "action"}

#: The owner chairs the review, the colleague attends, the quality manager prepared it.
EXPECTED = {
    "draft": {
        "owner": EDIT | {"sign"},
        "colleague": set(),
        "outsider": HIDDEN,
        "quality_manager": EDIT,
        "auditor": set(),
        "certifier": HIDDEN,
    },
    "signed": {
        "owner": set(),
        "colleague": set(),
        "outsider": HIDDEN,
        "quality_manager": set(),
        "auditor": set(),
        "certifier": HIDDEN,
    },
}


@pytest.fixture
def world(request):
    return fixtures_by_name(request, PERSONAS)


def build(state, w):
    year = timezone.localdate().year
    review = workflow.review_create(
        actor=w.quality_manager,
        title="Management review H1",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        meeting_date=timezone.localdate(),
        chair=w.owner,
        attendees=[w.colleague],
    )
    workflow.review_record(
        review=review, actor=w.owner, discussion="KPIs", decisions="Add a second counter."
    )
    if state == "signed":
        workflow.review_sign(review=review, signer=w.owner, password=PASSWORD)
    return ManagementReview.objects.get(pk=review.pk)


def step_data(step, w):
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    return {
        "refresh": {"refresh": "1"},
        "minutes": {"minutes": "1", "minutes-discussion": "d", "minutes-decisions": "Changed"},
        "action": {
            "action": "1",
            "action-title": "Fix",
            "action-owner": w.colleague.pk,
            "action-due_date": due,
        },
        "sign": {"sign": "1", "sign-password": PASSWORD},
    }[step]


def snapshot(review):
    review = ManagementReview.objects.get(pk=review.pk)
    return (
        review.status,
        review.discussion,
        review.decisions,
        review.inputs_gathered_at,
        review.actions.count(),
        review.signatures.count(),
        review.history.count(),
    )


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_review_page_offers_exactly_the_steps_the_workflow_accepts(
    state, persona, world, client
):
    w = world
    review = build(state, w)
    person = getattr(w, persona)
    expected = EXPECTED[state][persona]
    assert_page_offers(
        client,
        person,
        review.get_absolute_url(),
        expected,
        lambda: workflow.available_steps(review, person),
    )

    def post(step):
        return client.post(review.get_absolute_url(), step_data(step, w))

    assert_refused_unchanged(post, ALL_STEPS - (expected or set()), lambda: snapshot(review))
    assert_accepted(post, expected or ())
