"""Levels proposed from portal data with configurable thresholds; overriding needs a reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from model_bakery import baker

from assessment import workflow
from assessment.models import Indicator, Level
from assessment.proposals import gather_figures, level_for
from assessment.workflow import AssessmentRuleError
from services.models import Service, ServiceRequest
from tests.assessment.world import result_of
from tests.audits.conftest import raise_nc

pytestmark = pytest.mark.django_db

HIGHER, LOWER = Indicator.Direction.HIGHER, Indicator.Direction.LOWER


@pytest.mark.parametrize(
    "value, direction, expected",
    [
        (96, HIGHER, Level.GREEN),
        (95, HIGHER, Level.GREEN),  # on the green threshold: green
        (90, HIGHER, Level.YELLOW),
        (85, HIGHER, Level.YELLOW),  # on the red threshold: not yet red
        (84.9, HIGHER, Level.RED),
        (2, LOWER, Level.GREEN),
        (3, LOWER, Level.GREEN),
        (5, LOWER, Level.YELLOW),
        (8, LOWER, Level.YELLOW),
        (9, LOWER, Level.RED),
    ],
)
def test_thresholds_decide_the_proposed_level(value, direction, expected):
    green, red = (Decimal(95), Decimal(85)) if direction == HIGHER else (Decimal(3), Decimal(8))
    assert (
        level_for(value, direction=direction, green_threshold=green, red_threshold=red) == expected
    )


def _requests(service, *, on_time, late, rating):
    year = timezone.localdate().year - 1
    submitted = timezone.make_aware(timezone.datetime(year, 6, 1, 9))
    for n in range(on_time + late):
        baker.make(
            ServiceRequest,
            service=service,
            department=service.department,
            tracking_code=f"T-{service.code}-{n}",
            channel="web",
            status="closed",
            submitted_at=submitted,
            due_date=submitted.date() + timedelta(days=5),
            resolved_at=submitted + timedelta(days=2 if n < on_time else 9),
            rating=rating,
        )
    return year


@pytest.fixture
def permits(agency, department_a):
    return Service.objects.create(
        agency=agency,
        code="AAS-PERMIT",
        name_zh="许可",
        name_en="Permit",
        department=department_a,
        commitment_days=5,
    )


def test_service_figures_propose_levels_and_are_shown(
    permits, quality_manager, agency, owner, department_b
):
    year = _requests(permits, on_time=9, late=1, rating=4)  # 90 % on time, satisfaction 4.0
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=year, approver=owner
    )
    on_time = result_of(assessment, "E01")
    assert (on_time.figure, on_time.proposed_level) == (Decimal("90.00"), Level.YELLOW)
    satisfaction = result_of(assessment, "S01")
    assert (satisfaction.figure, satisfaction.proposed_level) == (Decimal("4.00"), Level.YELLOW)
    assert assessment.figures["service_on_time"]["value"] == 90.0
    assert result_of(assessment, "G05").proposed_level == ""  # judged, no portal data


def test_changed_thresholds_change_the_proposal_on_refresh(
    permits, quality_manager, agency, owner, department_b
):
    year = _requests(permits, on_time=9, late=1, rating=4)
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=year, approver=owner
    )
    indicator = Indicator.objects.get(agency=agency, code="E01")
    workflow.indicator_update(
        indicator=indicator,
        actor=quality_manager,
        departments=[],
        green_threshold=Decimal("88"),
        red_threshold=Decimal("80"),
    )
    workflow.assessment_refresh(assessment=assessment, actor=quality_manager)
    assert result_of(assessment, "E01").proposed_level == Level.GREEN


def test_open_nonconformities_propose_a_level(quality_manager, agency, owner, department_a):
    for _n in range(4):
        raise_nc(quality_manager, department=department_a, owner=owner)
    figures = gather_figures(agency, timezone.localdate().year)
    assert figures["open_nonconformities"]["value"] == 4
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=timezone.localdate().year, approver=owner
    )
    result = result_of(assessment, "G02")
    assert (result.figure, result.proposed_level) == (Decimal("4.00"), Level.YELLOW)


def test_confirming_the_proposal_needs_no_extra_reason(
    quality_manager, agency, owner, department_a
):
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=timezone.localdate().year, approver=owner
    )
    result = result_of(assessment, "G02")  # no open NC: proposes green
    assert result.proposed_level == Level.GREEN
    workflow.result_record(result=result, actor=quality_manager, level="green", reasons="None open")
    result.refresh_from_db()
    assert result.level == Level.GREEN and not result.is_override


def test_override_without_a_reason_is_refused(quality_manager, agency, owner, department_a):
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=timezone.localdate().year, approver=owner
    )
    result = result_of(assessment, "G02")
    with pytest.raises(AssessmentRuleError, match="propose"):
        workflow.result_record(
            result=result, actor=quality_manager, level="yellow", reasons="Feels worse"
        )
    result.refresh_from_db()
    assert result.level == ""
    workflow.result_record(
        result=result,
        actor=quality_manager,
        level="yellow",
        reasons="Feels worse",
        override_reason="Two complaints handled outside the portal",
    )
    result.refresh_from_db()
    assert result.is_override
    assert result.override_reason == "Two complaints handled outside the portal"
    assert result.history.first().history_change_reason == "Level overridden"


def test_override_without_a_reason_on_the_page_is_a_400(
    client, quality_manager, agency, owner, department_a
):
    from django.urls import reverse

    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=timezone.localdate().year, approver=owner
    )
    result = result_of(assessment, "G02")
    client.force_login(quality_manager)
    page = client.get(reverse("assessment:result_edit", args=[result.pk]))
    assert "Proposed from portal data" in page.content.decode()
    response = client.post(
        reverse("assessment:result_edit", args=[result.pk]), {"level": "red", "reasons": "x"}
    )
    assert response.status_code == 400
    assert "say why" in response.content.decode()
    result.refresh_from_db()
    assert result.level == ""
