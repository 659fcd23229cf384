"""Results: radar and quadrant SVG, trend, red indicators as improvement actions, management
review input and the evidence-pack section."""

from datetime import date
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse

from assessment import results, workflow
from assessment.models import Level
from assessment.workflow import AssessmentRuleError
from audits.capa.models import Action
from audits.review import inputs
from tests.assessment.world import approve, result_of

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def test_area_scores_count_levels(assessment, quality_manager, owner):
    approve(assessment, quality_manager, owner, {"G01": "red", "G05": "yellow"})
    scores = results.area_scores(results.result_rows(assessment))
    governance = scores["governance"]
    assert governance["counts"] == {"red": 1, "yellow": 1, "green": 8}
    assert governance["score"] == 85.0  # (8×2 + 1) / 20
    assert scores["economic"]["score"] == 100.0


def test_radar_is_valid_svg_with_escaped_text(assessment, quality_manager, owner):
    approve(assessment, quality_manager, owner, {"G01": "red"})
    rows = results.result_rows(assessment)
    rows[0]["name_en"] = rows[0]["name_zh"] = "<script>alert(1)</script> & co"
    svg = results.radar_svg(rows, year=2025, previous_rows=rows, previous_year=2024)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f"{SVG}polygon")) >= 4 + 2  # rings + two years
    quadrant = results.quadrant_svg(rows, year=2025)
    tree = ET.fromstring(quadrant)
    assert "<script>" not in quadrant
    tips = [t.text for t in tree.iter(f"{SVG}title")]
    assert any("<script>" in (t or "") for t in tips)  # kept as text, escaped in the XML
    assert len([r for r in tree.iter(f"{SVG}rect")]) == 4 + 40


def test_radar_download(client, assessment, quality_manager, owner):
    client.force_login(quality_manager)
    response = client.get(reverse("assessment:chart", args=[assessment.pk]))
    assert response["Content-Type"].startswith("image/svg+xml")
    ET.fromstring(response.content)


def test_trend_per_indicator_year_over_year(quality_manager, agency, owner, department_a):
    first = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2024, approver=owner
    )
    approve(first, quality_manager, owner, {"G01": "red", "G05": "green"})
    second = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )
    approve(second, quality_manager, owner, {"G01": "yellow", "G05": "red"})
    years, rows = results.trend(results.approved_with_results(agency))
    assert years == [2024, 2025]
    by_code = {r["code"]: r for r in rows}
    assert by_code["G01"]["levels"] == ["red", "yellow"] and by_code["G01"]["direction"] == "up"
    assert by_code["G05"]["direction"] == "down"
    assert by_code["G02"]["direction"] == "same"


def test_trend_page(client, quality_manager, agency, owner, assessment):
    approve(assessment, quality_manager, owner, {"G01": "red"})
    client.force_login(owner)
    page = client.get(reverse("assessment:trend"))
    assert page.status_code == 200
    assert "2025" in page.content.decode() and "G01" in page.content.decode()


def test_red_indicators_become_improvement_actions_once(
    assessment, quality_manager, owner, department_a
):
    approve(assessment, quality_manager, owner, {"G07": "red", "V01": "red"})
    created = workflow.assessment_raise_actions(assessment=assessment, actor=quality_manager)
    assert len(created) == 2
    budget = result_of(assessment, "G07").action
    assert budget.kind == Action.Kind.IMPROVEMENT
    assert budget.owner == owner  # head of Finance, the responsible department
    assert budget.department == department_a
    assert "2025" in budget.source_label and "G07" in budget.source_label
    again = workflow.assessment_raise_actions(assessment=assessment, actor=quality_manager)
    assert again == []
    assert Action.objects.filter(kind=Action.Kind.IMPROVEMENT).count() == 2


def test_actions_only_from_an_approved_assessment_by_a_quality_manager(
    assessment, quality_manager, owner
):
    with pytest.raises(AssessmentRuleError, match="approved"):
        workflow.assessment_raise_actions(assessment=assessment, actor=quality_manager)
    approve(assessment, quality_manager, owner, {"G07": "red"})
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workflow.assessment_raise_actions(assessment=assessment, actor=owner)


def test_raise_actions_from_the_page_twice_gives_one_action(
    client, assessment, quality_manager, owner
):
    approve(assessment, quality_manager, owner, {"G07": "red"})
    client.force_login(quality_manager)
    url = reverse("assessment:step", args=[assessment.pk, "actions"])
    assert client.post(url, {"due_date": ""}).status_code == 302
    assert client.post(url, {"due_date": ""}).status_code == 302
    assert Action.objects.filter(kind=Action.Kind.IMPROVEMENT).count() == 1
    bad = client.post(url, {"due_date": "2001-01-01"})
    assert bad.status_code == 400


def test_latest_approved_assessment_is_a_management_review_input(
    assessment, quality_manager, owner
):
    before = inputs.gather(assessment.agency, date(2025, 1, 1), date(2025, 12, 31))
    assert before["self_assessment"] is None
    approve(assessment, quality_manager, owner, {"G07": "red"})
    gathered = inputs.gather(assessment.agency, date(2025, 1, 1), date(2025, 12, 31))
    section = gathered["self_assessment"]
    assert section["year"] == 2025
    assert section["red"][0]["code"] == "G07"
    assert section["areas"]["governance"]["red"] == 1
    earlier = inputs.gather(assessment.agency, date(2024, 1, 1), date(2024, 12, 31))
    assert earlier["self_assessment"] is None  # not yet assessed by then


def test_review_page_shows_the_assessment(client, assessment, quality_manager, owner):
    from audits.review import workflow as audit_workflow

    approve(assessment, quality_manager, owner, {"G07": "red"})
    review = audit_workflow.review_create(
        actor=quality_manager,
        title="Review 2025",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        meeting_date=date(2025, 12, 20),
        chair=quality_manager,
    )
    client.force_login(quality_manager)
    page = client.get(reverse("review:review", args=[review.pk])).content.decode()
    assert "Local-government self-assessment" in page and "G07" in page


def test_pack_section_html_and_data(assessment, quality_manager, owner):
    empty = results.pack_section(assessment.agency, date(2025, 1, 1), date(2025, 12, 31))
    assert empty["data"] is None and "No approved self-assessment" in empty["html"]
    approve(assessment, quality_manager, owner, {"G07": Level.RED})
    section = results.pack_section(assessment.agency, date(2025, 1, 1), date(2025, 12, 31))
    assert section["data"]["year"] == 2025
    assert "<svg" in section["html"] and "G07" in section["html"]
    assert owner.get_full_name() in section["html"]  # the signature, for auditors (internal)
