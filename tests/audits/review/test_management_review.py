"""Management review: inputs gathered from the period's data, decisions, actions, signed PDF."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audits.auditing import workflow as audit_workflow
from audits.capa import workflow as capa_workflow
from audits.capa.models import Action
from audits.review import inputs
from audits.review import workflow as review_workflow
from audits.review.models import ManagementReview
from documents.models import Document
from processes.models import Measurement, Risk
from tests.audits.conftest import raise_nc
from tests.conftest import PASSWORD
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db


def make_review(actor, chair, **extra):
    today = timezone.localdate()
    return review_workflow.review_create(
        actor=actor,
        title=extra.pop("title", "Management review H1"),
        period_start=extra.pop("period_start", date(today.year, 1, 1)),
        period_end=extra.pop("period_end", date(today.year, 12, 31)),
        meeting_date=extra.pop("meeting_date", today),
        chair=chair,
        **extra,
    )


def test_inputs_are_filled_from_the_data(
    quality_manager, owner, colleague, audit, department_a, kpi, process
):
    today = timezone.localdate()
    raise_nc(quality_manager, department=department_a, owner=owner, severity="major")
    Measurement.objects.create(
        kpi=kpi,
        period=date(today.year, 1, 1),
        value=Decimal("70"),
        recorded_by=owner,
    )
    overdue = draft_document(owner, department_a, title="Counter procedure")
    make_effective(overdue.revisions.get(), reviewer=colleague, approver=quality_manager)
    Document.objects.filter(pk=overdue.pk).update(next_review_due=today - timedelta(days=3))
    current = draft_document(owner, department_a, title="Archive procedure")
    make_effective(current.revisions.get(), reviewer=colleague, approver=quality_manager)
    Document.objects.filter(pk=current.pk).update(next_review_due=today + timedelta(days=30))
    risk = Risk.objects.create(
        process=process,
        description="Backlog at the counter",
        likelihood=3,
        impact=4,
        owner=owner,
        review_date=today + timedelta(days=60),
    )
    late = capa_workflow.risk_action_create(
        risk=risk, actor=owner, title="Second counter", owner=owner, due_date=today
    )
    Action.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=1))  # time passed
    done = capa_workflow.risk_action_create(
        risk=risk,
        actor=owner,
        title="Queue tickets",
        owner=owner,
        due_date=today + timedelta(days=9),
    )
    capa_workflow.action_complete(action=done, actor=owner, note="Ticket machine installed")
    review = make_review(quality_manager, owner)
    data = review.inputs
    assert data["nonconformities"]["raised"] == 1 and data["nonconformities"]["major"] == 1
    assert data["audits"]["audits"] == 1
    assert data["kpis"]["counts"]["red"] == 1 and data["kpis"]["red"][0]["kpi"] == kpi.name
    assert data["services"]["requests"] == 0 and data["services"]["on_time_percent"] is None
    assert data["risk_actions"] == {
        "open": 1,
        "overdue": 1,
        "done_in_period": 1,
        "open_high_risks": 1,  # likelihood 3 x impact 4 = 12
    }
    assert data["documents_overdue"] == {
        "count": 1,
        "items": [
            {
                "number": overdue.number,
                "title": "Counter procedure",
                "due": (today - timedelta(days=3)).isoformat(),
            }
        ],
    }
    assert review.inputs_gathered_at


def test_previous_review_actions_are_reported(quality_manager, owner, colleague):
    first = make_review(
        quality_manager,
        owner,
        title="Last review",
        meeting_date=timezone.localdate() - timedelta(days=200),
    )
    review_workflow.review_add_action(
        review=first,
        actor=owner,
        title="Hire two counter officers",
        owner=colleague,
        due_date=timezone.localdate() + timedelta(days=3),
    )
    second = make_review(quality_manager, owner, title="This review")
    items = second.inputs["previous_actions"]["items"]
    assert [i["title"] for i in items] == ["Hire two counter officers"]
    assert second.inputs["previous_actions"]["open"] == 1


def test_service_performance_is_pluggable(quality_manager, owner, monkeypatch):
    monkeypatch.setattr(
        inputs,
        "service_performance",
        lambda agency, start, end: {
            "requests": 12,
            "on_time_percent": 91.7,
            "satisfaction_percent": 88.0,
            "complaints": 1,
            "trend": [],
        },
    )
    review = make_review(quality_manager, owner)
    assert review.inputs["services"]["requests"] == 12


def test_chair_records_decisions_and_actions_and_signs(quality_manager, owner, colleague):
    review = make_review(quality_manager, owner)
    with pytest.raises(audit_workflow.AuditRuleError, match="decisions"):
        review_workflow.review_sign(review=review, signer=owner, password=PASSWORD)
    review_workflow.review_record(
        review=review, actor=owner, discussion="KPIs discussed", decisions="Add a second counter."
    )
    action = review_workflow.review_add_action(
        review=review,
        actor=owner,
        title="Open second counter",
        owner=colleague,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    assert action.kind == Action.Kind.REVIEW
    with pytest.raises(PermissionDenied):
        review_workflow.review_sign(review=review, signer=quality_manager, password=PASSWORD)
    review_workflow.review_sign(review=review, signer=owner, password=PASSWORD)
    review.refresh_from_db()
    assert review.status == ManagementReview.Status.SIGNED
    with pytest.raises(audit_workflow.AuditRuleError, match="signed"):
        review_workflow.review_record(
            review=review, actor=owner, discussion="", decisions="changed"
        )


def test_minutes_pdf(client, quality_manager, owner, colleague):
    review = make_review(quality_manager, owner, attendees=[colleague])
    review_workflow.review_record(
        review=review, actor=owner, discussion="", decisions="Add a second counter."
    )
    review_workflow.review_sign(review=review, signer=owner, password=PASSWORD)
    client.force_login(quality_manager)
    response = client.get(reverse("review:review_pdf", args=[review.pk]))
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in [
        "Management review H1",
        "Add a second counter.",
        "Chair of the management review",
        "Owner",
        "Colleague",
        "Complaints: 0",
    ]:
        assert expected in text, expected


def test_period_in_wrong_order_through_the_page_is_a_400(client, quality_manager, owner):
    client.force_login(quality_manager)
    response = client.post(
        reverse("review:review_create"),
        {
            "title": "x",
            "period_start": "2026-06-30",
            "period_end": "2026-01-01",
            "meeting_date": "2026-07-01",
            "chair": owner.pk,
        },
    )
    assert response.status_code == 400
    assert not ManagementReview.objects.exists()


def test_review_page_adds_an_action_and_refuses_a_bad_one(
    client, quality_manager, owner, colleague
):
    review = make_review(quality_manager, owner)
    client.force_login(owner)
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    ok = client.post(
        review.get_absolute_url(),
        {
            "action": "1",
            "action-title": "Fix",
            "action-owner": colleague.pk,
            "action-due_date": due,
        },
    )
    assert ok.status_code == 302
    bad = client.post(
        review.get_absolute_url(),
        {
            "action": "1",
            "action-title": "Late",
            "action-owner": colleague.pk,
            "action-due_date": "2000-01-01",
        },
    )
    assert bad.status_code == 400
    assert list(review.actions.values_list("title", flat=True)) == ["Fix"]
