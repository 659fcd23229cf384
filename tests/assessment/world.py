"""Helpers for the self-assessment tests: an assessment of the test agency, assessed in one go."""

import pytest

from assessment import workflow
from assessment.models import Level
from tests.conftest import PASSWORD


@pytest.fixture
def assessment(quality_manager, agency, owner, colleague, department_a, department_b):
    """A draft assessment of 2025; the owner (head of department A, FIN) approves."""
    return workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )


def result_of(assessment, code):
    return assessment.results.select_related("indicator").get(indicator__code=code)


def assess_all(assessment, actor, levels=None, default=Level.GREEN):
    """Give every result a level: ``levels`` maps codes to levels, the rest get ``default``
    (or the proposal, where there is one and no level is named)."""
    levels = levels or {}
    for result in assessment.results.select_related("indicator"):
        level = levels.get(result.indicator.code) or result.proposed_level or default
        workflow.result_record(
            result=result,
            actor=actor,
            level=level,
            reasons=f"Reasons for {result.indicator.code}",
            override_reason="Judged differently"
            if level != (result.proposed_level or level)
            else "",
        )
    return assessment


def approve(assessment, quality_manager, approver, levels=None):
    assess_all(assessment, quality_manager, levels)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    workflow.assessment_approve(assessment=assessment, signer=approver, password=PASSWORD)
    assessment.refresh_from_db()
    return assessment
