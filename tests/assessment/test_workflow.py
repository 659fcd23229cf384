"""The yearly self-assessment: draft → under review → approved (signed), and who may act."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment import workflow
from assessment.models import AssessmentSignature, Level, SelfAssessment
from assessment.workflow import AssessmentRuleError
from tests.assessment.world import approve, assess_all, result_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_only_a_quality_manager_starts_an_assessment(owner, agency):
    with pytest.raises(PermissionDenied):
        workflow.assessment_create(actor=owner, agency=agency, year=2025, approver=owner)


def test_starting_creates_one_result_per_indicator_and_refuses_a_second_for_the_year(
    assessment, quality_manager, agency, owner
):
    assert assessment.status == SelfAssessment.Status.DRAFT
    assert assessment.results.count() == 40
    with pytest.raises(AssessmentRuleError, match="exists already"):
        workflow.assessment_create(actor=quality_manager, agency=agency, year=2025, approver=owner)


def test_approver_of_another_agency_is_refused(quality_manager, agency, stranger):
    with pytest.raises(AssessmentRuleError, match="approver"):
        workflow.assessment_create(
            actor=quality_manager, agency=agency, year=2025, approver=stranger
        )
    assert not SelfAssessment.objects.exists()


def test_responsible_department_assesses_its_indicator_others_cannot(
    assessment, colleague, outsider
):
    budget = result_of(assessment, "G07")  # Finance = department A
    workflow.result_record(result=budget, actor=colleague, level="yellow", reasons="Late")
    budget.refresh_from_db()
    assert (budget.level, budget.assessor) == (Level.YELLOW, colleague)
    with pytest.raises(PermissionDenied):
        workflow.result_record(result=budget, actor=outsider, level="green", reasons="x")


def test_level_and_reasons_are_required(assessment, quality_manager):
    result = result_of(assessment, "G05")
    with pytest.raises(AssessmentRuleError, match="level"):
        workflow.result_record(result=result, actor=quality_manager, level="blue", reasons="x")
    with pytest.raises(AssessmentRuleError, match="reasons"):
        workflow.result_record(result=result, actor=quality_manager, level="red", reasons=" ")
    result.refresh_from_db()
    assert result.level == ""


def test_evidence_links_to_portal_records_of_the_agency(
    assessment, quality_manager, owner, department_a, stranger, other_agency_department
):
    from audits.capa import workflow as audit_workflow
    from audits.capa.models import Nonconformity

    nc = audit_workflow.nc_raise(
        actor=quality_manager,
        source=Nonconformity.Source.STAFF,
        description="Budget published late.",
        department=department_a,
        severity="minor",
        owner=owner,
    )
    result = result_of(assessment, "G07")
    workflow.result_record(
        result=result, actor=quality_manager, level="yellow", reasons="See NC", findings=[nc]
    )
    assert list(result.evidence_findings.all()) == [nc]
    foreign = audit_workflow.nc_raise(
        actor=quality_manager,
        source=Nonconformity.Source.STAFF,
        description="x",
        department=department_a,
        severity="minor",
        owner=owner,
    )
    foreign.agency = stranger.agency
    foreign.save()
    with pytest.raises(AssessmentRuleError, match="own agency"):
        workflow.result_record(
            result=result, actor=quality_manager, level="red", reasons="x", findings=[foreign]
        )
    result.refresh_from_db()
    assert result.level == Level.YELLOW


def test_submit_needs_every_indicator_assessed(assessment, quality_manager):
    with pytest.raises(AssessmentRuleError, match="Assess every indicator"):
        workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    assess_all(assessment, quality_manager)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    assessment.refresh_from_db()
    assert assessment.status == SelfAssessment.Status.UNDER_REVIEW


def test_levels_cannot_change_once_submitted(assessment, quality_manager):
    assess_all(assessment, quality_manager)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    with pytest.raises(AssessmentRuleError, match="draft"):
        workflow.result_record(
            result=result_of(assessment, "G05"), actor=quality_manager, level="red", reasons="x"
        )


def test_return_to_draft_needs_a_reason_recorded_in_history(assessment, quality_manager, owner):
    assess_all(assessment, quality_manager)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    with pytest.raises(AssessmentRuleError, match="what must change"):
        workflow.assessment_return(assessment=assessment, actor=owner, reason="")
    workflow.assessment_return(assessment=assessment, actor=owner, reason="G05 needs evidence")
    assessment.refresh_from_db()
    assert assessment.status == SelfAssessment.Status.DRAFT
    assert "G05 needs evidence" in assessment.history.first().history_change_reason


def test_only_the_named_approver_signs_with_the_right_password(assessment, quality_manager, owner):
    assess_all(assessment, quality_manager)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    with pytest.raises(PermissionDenied):
        workflow.assessment_approve(
            assessment=assessment, signer=quality_manager, password=PASSWORD
        )
    with pytest.raises(AssessmentRuleError, match="password"):
        workflow.assessment_approve(assessment=assessment, signer=owner, password="wrong")
    assert not AssessmentSignature.objects.exists()
    signature = workflow.assessment_approve(assessment=assessment, signer=owner, password=PASSWORD)
    assessment.refresh_from_db()
    assert assessment.status == SelfAssessment.Status.APPROVED
    assert assessment.approved_at == signature.signed_at
    assert signature.printed_name == owner.get_full_name()
    assert signature.meaning == AssessmentSignature.Meaning.APPROVED
    assert signature.is_intact()


def test_signature_is_bound_to_the_content(assessment, quality_manager, owner):
    approve(assessment, quality_manager, owner)
    signature = assessment.signatures.get()
    result = result_of(assessment, "G05")
    result.reasons = "Changed behind the portal's back"
    result.save()
    assert not signature.is_intact()


def test_history_is_hash_chained_with_reasons(assessment, quality_manager, owner):
    from qms_portal.audit_trail import seal, verify_chain

    approve(assessment, quality_manager, owner)
    seal(type(assessment.history.first()))  # what the commit would do
    reasons = list(assessment.history.values_list("history_change_reason", flat=True))
    assert "Approved and signed" in reasons and "Submitted for approval" in reasons
    problems, count = verify_chain(type(assessment.history.first()))
    assert problems == [] and count >= 3


def test_approver_is_notified_on_submit(assessment, quality_manager, owner):
    assess_all(assessment, quality_manager)
    workflow.assessment_submit(assessment=assessment, actor=quality_manager)
    assert owner.notifications.filter(subject__contains="2025").exists()


# --- Pages ---------------------------------------------------------------------------------


def test_quality_manager_starts_an_assessment_from_the_page(
    client, quality_manager, owner, agency, department_a
):
    client.force_login(quality_manager)
    response = client.post(reverse("assessment:create"), {"year": 2025, "approver": owner.pk})
    assessment = SelfAssessment.objects.get()
    assert response.status_code == 302 and response.url == assessment.get_absolute_url()
    page = client.get(assessment.get_absolute_url())
    assert page.status_code == 200
    assert "G07" in page.content.decode()


def test_bad_input_on_the_result_page_is_a_400_and_nothing_is_saved(client, assessment, colleague):
    result = result_of(assessment, "G07")
    client.force_login(colleague)
    url = reverse("assessment:result_edit", args=[result.pk])
    response = client.post(url, {"level": "purple", "reasons": ""})
    assert response.status_code == 400
    result.refresh_from_db()
    assert result.level == "" and result.assessor is None
    response = client.post(url, {"level": "green", "reasons": "Budget published in time"})
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.level == Level.GREEN


def test_steps_from_the_page(client, assessment, quality_manager, owner):
    assess_all(assessment, quality_manager)
    client.force_login(quality_manager)
    url = reverse("assessment:step", args=[assessment.pk, "submit"])
    assert client.post(url).status_code == 302
    client.force_login(owner)
    wrong = client.post(
        reverse("assessment:step", args=[assessment.pk, "approve"]), {"password": "nope"}
    )
    assert wrong.status_code == 400
    assert "password" in wrong.content.decode()
    right = client.post(
        reverse("assessment:step", args=[assessment.pk, "approve"]), {"password": PASSWORD}
    )
    assert right.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == SelfAssessment.Status.APPROVED


def test_people_who_may_not_act_get_403_and_strangers_404(
    client, assessment, colleague, stranger, unshared_certifier
):
    url = reverse("assessment:step", args=[assessment.pk, "submit"])
    client.force_login(colleague)
    assert client.post(url).status_code == 403
    client.force_login(stranger)
    assert client.post(url).status_code == 404
    assert client.get(assessment.get_absolute_url()).status_code == 404
    client.force_login(unshared_certifier)
    assert client.get(assessment.get_absolute_url()).status_code == 404
    client.force_login(colleague)
    unknown = reverse("assessment:step", args=[assessment.pk, "explode"])
    assert client.post(unknown).status_code == 404


def test_evidence_shows_on_the_assessment_page_as_far_as_the_reader_may_see_it(
    assessment,
    quality_manager,
    owner,
    colleague,
    outsider,
    department_a,
    kpi,
    client,
    settings,
    tmp_path,
):
    """Evidence of all four kinds links to its record; a draft document stays hidden from staff
    of other departments, who may read the assessment but not the draft."""
    from datetime import date
    from decimal import Decimal

    from audits.capa import workflow as audit_workflow
    from audits.capa.models import Nonconformity
    from processes.models import Measurement
    from services.models import Service
    from tests.documents.conftest import draft_document, make_effective

    settings.MEDIA_ROOT = tmp_path / "media"
    in_force = draft_document(owner, department_a, title="Paying suppliers")
    make_effective(in_force.revisions.get(), reviewer=colleague, approver=quality_manager)
    draft = draft_document(owner, department_a, title="Budget planning (draft)")
    measurement = Measurement.objects.create(
        kpi=kpi, period=date(2025, 3, 1), value=Decimal("93.5"), recorded_by=owner
    )
    nc = audit_workflow.nc_raise(
        actor=quality_manager,
        source=Nonconformity.Source.STAFF,
        description="Budget published late.",
        department=department_a,
        severity="minor",
        owner=owner,
    )
    service = Service.objects.create(
        agency=assessment.agency,
        code="FIN-ADVICE",
        name_zh="咨询",
        name_en="Advice",
        department=department_a,
        commitment_days=5,
    )
    workflow.result_record(
        result=result_of(assessment, "G07"),
        actor=quality_manager,
        level=Level.YELLOW,
        reasons="See the evidence",
        documents=[in_force, draft],
        measurements=[measurement],
        findings=[nc],
        services=[service],
    )
    url = reverse("assessment:detail", args=[assessment.pk])

    client.force_login(quality_manager)
    page = client.get(url).content.decode()
    for record in (in_force, draft, kpi, nc):
        assert f'href="{record.get_absolute_url()}"' in page
    assert in_force.number in page and draft.number in page
    assert nc.reference in page and service.code in page

    client.force_login(outsider)
    page = client.get(url).content.decode()
    assert in_force.number in page
    assert nc.reference not in page, "staff of department B do not see department A's findings"
    assert draft.number not in page and draft.get_absolute_url() not in page
