"""The public transparency page: no sign-in, both languages, live figures with caching, a fixed
number of queries, no personal data, and the self-assessment only when the agency publishes it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from assessment import transparency, workflow
from documents.models import Confidentiality, Document, DocumentType
from services.models import Service, ServiceRequest
from services.statistics import monthly_statistics, totals
from tests.assessment.world import approve
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db


def page(client, agency, language="en"):
    client.cookies["django_language"] = language
    response = client.get(reverse("transparency:agency", args=[agency.code]))
    assert response.status_code == 200
    return response.content.decode()


def effective(owner, department, reviewer, approver, *, title, doc_type, confidentiality):
    document = draft_document(owner, department, title=title)
    Document.objects.filter(pk=document.pk).update(  # history-exempt: test set-up
        doc_type=doc_type, confidentiality=confidentiality
    )
    return make_effective(document.revisions.get(), reviewer=reviewer, approver=approver)


def make_service(agency, department, code, *, public=True):
    return Service.objects.create(
        agency=agency,
        code=code,
        name_zh=f"服务{code}",
        name_en=f"Service {code}",
        department=department,
        commitment_days=4,
        is_public=public,
    )


def make_requests(service, count, *, late_every=4, rating=4):
    now = timezone.now()
    for n in range(count):
        submitted = now - timedelta(days=20 + n)
        baker.make(
            ServiceRequest,
            service=service,
            department=service.department,
            tracking_code=f"{service.code}-{n}-{count}",
            channel="web",
            status="closed",
            citizen_name="Zhang Secretname",
            citizen_email="secret.citizen@example.org",
            submitted_at=submitted,
            due_date=submitted.date() + timedelta(days=6),
            resolved_at=submitted + timedelta(days=10 if n % late_every == 0 else 2),
            rating=rating,
        )


@pytest.fixture
def public_world(settings, tmp_path, agency, owner, colleague, quality_manager, department_a):
    settings.MEDIA_ROOT = tmp_path / "media"
    effective(
        owner,
        department_a,
        colleague,
        quality_manager,
        title="Quality Policy",
        doc_type=DocumentType.POLICY,
        confidentiality=Confidentiality.PUBLIC,
    )
    effective(
        owner,
        department_a,
        colleague,
        quality_manager,
        title="Refund Procedure",
        doc_type=DocumentType.PROCEDURE,
        confidentiality=Confidentiality.PUBLIC,
    )
    effective(
        owner,
        department_a,
        colleague,
        quality_manager,
        title="Internal Cash Handling",
        doc_type=DocumentType.PROCEDURE,
        confidentiality=Confidentiality.INTERNAL,
    )
    draft_document(owner, department_a, title="Unapproved Draft")
    service = make_service(agency, department_a, "FIN-REFUND")
    make_service(agency, department_a, "FIN-INTERNAL", public=False)
    make_requests(service, 8)  # 2 of 8 late → 75 % on time; satisfaction 4
    return service


def test_public_page_shows_policy_public_procedures_and_service_figures(
    client, agency, public_world
):
    html = page(client, agency)
    assert "Quality Policy" in html and "Refund Procedure" in html
    assert "Internal Cash Handling" not in html and "Unapproved Draft" not in html
    assert "Service FIN-REFUND" in html and "Service FIN-INTERNAL" not in html
    assert "75.0%" in html and "4.0" in html
    assert "4 working days" in html


def test_public_page_in_chinese(client, agency, public_world):
    html = page(client, agency, "zh-hans")
    assert "服务FIN-REFUND" in html


def test_policy_statement_from_the_settings_in_both_languages(
    client, agency, public_world, quality_manager
):
    workflow.transparency_update(
        agency=agency,
        actor=quality_manager,
        publish_self_assessment=False,
        statement_zh="依法行政，便民高效",
        statement_en="Lawful and convenient",
    )
    assert "Lawful and convenient" in page(client, agency)
    assert "依法行政，便民高效" in page(client, agency, "zh-hans")


def test_assessment_is_shown_only_when_published(
    client,
    agency,
    public_world,
    quality_manager,
    owner,
    department_b,
    django_capture_on_commit_callbacks,
):
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )
    approve(assessment, quality_manager, owner, {"G07": "red"})
    assert "Self-assessment 2025" not in page(client, agency)
    with django_capture_on_commit_callbacks(execute=True):  # publishing clears the cache
        workflow.transparency_update(
            agency=agency,
            actor=quality_manager,
            publish_self_assessment=True,
            statement_zh="",
            statement_en="",
        )
    html = page(client, agency)
    assert "Self-assessment 2025" in html and "<svg" in html and "G07" in html


def test_draft_assessment_is_never_shown(
    client, agency, public_world, quality_manager, owner, department_b
):
    workflow.transparency_update(
        agency=agency,
        actor=quality_manager,
        publish_self_assessment=True,
        statement_zh="",
        statement_en="",
    )
    workflow.assessment_create(actor=quality_manager, agency=agency, year=2025, approver=owner)
    assert "Self-assessment 2025" not in page(client, agency)


def test_approval_clears_the_cache(
    client,
    agency,
    public_world,
    quality_manager,
    owner,
    department_b,
    django_capture_on_commit_callbacks,
):
    workflow.transparency_update(
        agency=agency,
        actor=quality_manager,
        publish_self_assessment=True,
        statement_zh="",
        statement_en="",
    )
    assert "Self-assessment 2025" not in page(client, agency)  # cached now
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )
    with django_capture_on_commit_callbacks(execute=True):
        approve(assessment, quality_manager, owner)
    assert "Self-assessment 2025" in page(client, agency)


def test_figures_are_cached(client, agency, public_world):
    page(client, agency)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as cached:
        page(client, agency)
    assert len(cached) <= 1  # the agency only
    assert cache.get(transparency.cache_key(agency.pk)) is not None


def _count_queries(client, agency):
    cache.clear()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as context:
        page(client, agency)
    return len(context)


def test_query_count_is_the_same_for_few_and_many_rows(
    client, agency, public_world, quality_manager, owner, colleague, department_a, department_b
):
    workflow.transparency_update(
        agency=agency,
        actor=quality_manager,
        publish_self_assessment=True,
        statement_zh="",
        statement_en="",
    )
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2024, approver=owner
    )
    approve(assessment, quality_manager, owner)
    small = _count_queries(client, agency)
    for n in range(4):
        service = make_service(agency, department_a, f"FIN-EXTRA{n}")
        make_requests(service, 10)
        effective(
            owner,
            department_a,
            colleague,
            quality_manager,
            title=f"Public procedure {n}",
            doc_type=DocumentType.PROCEDURE,
            confidentiality=Confidentiality.PUBLIC,
        )
    second = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )
    approve(second, quality_manager, owner)
    cache.clear()  # document and request changes show within the cache's short lifetime
    assert "Public procedure 3" in page(client, agency)
    assert _count_queries(client, agency) == small


def test_no_personal_data_on_the_public_page(
    client, agency, public_world, quality_manager, owner, colleague, department_b
):
    from qms_portal.organisation.models import Person

    workflow.transparency_update(
        agency=agency,
        actor=quality_manager,
        publish_self_assessment=True,
        statement_zh="",
        statement_en="",
    )
    assessment = workflow.assessment_create(
        actor=quality_manager, agency=agency, year=2025, approver=owner
    )
    approve(assessment, quality_manager, owner)
    html = page(client, agency)
    assert "Secretname" not in html and "secret.citizen@example.org" not in html
    for person in Person.objects.all():
        for value in [person.username, person.email, person.get_full_name()]:
            assert value not in html, value
    assert "Reasons for" not in html  # assessors' reasons stay internal


def test_works_without_javascript(client, agency, public_world):
    html = page(client, agency)
    assert "<script" not in html


def test_unknown_agency_is_404_and_index_lists_agencies(client, agency):
    assert client.get(reverse("transparency:agency", args=["NOPE"])).status_code == 404
    index = client.get(reverse("transparency:index")).content.decode()
    assert agency.name in index


def test_quality_manager_sets_publication_from_the_page(client, agency, quality_manager):
    client.force_login(quality_manager)
    response = client.post(
        reverse("assessment:publication"),
        {"publish_self_assessment": "on", "statement_zh": "方针", "statement_en": "Policy"},
    )
    assert response.status_code == 302
    assert agency.transparency.publish_self_assessment is True


# --- The demo agency -----------------------------------------------------------------------


def test_demo_agency_page_shows_its_real_figures(client):
    from django.core.management import call_command

    from qms_portal.organisation.models import Agency

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    agency = Agency.objects.get(code="JM")
    html = page(client, agency)
    start, end = transparency.twelve_months()
    rows = monthly_statistics(agency=agency, start=start, end=end)
    services = Service.objects.public().filter(agency=agency)
    assert services.exists()
    for service in services:
        figures = totals([r for r in rows if r.service_code == service.code])
        assert service.name_en in html
        if figures["on_time_rate"] is not None:
            assert f"{round(figures['on_time_rate'] * 100, 1)}%" in html
    assert "质量方针与目标 Quality Policy and Objectives" in html
    year = timezone.localdate().year - 1
    assert f"Self-assessment {year}" in html  # the latest approved, published
    assert "Secretname" not in html


def test_demo_has_two_approved_years_with_improvement_actions():
    from django.core.management import call_command

    from assessment.models import SelfAssessment
    from audits.capa.models import Action

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    years = list(SelfAssessment.objects.approved().values_list("year", flat=True))
    today = timezone.localdate()
    assert sorted(years) == [today.year - 2, today.year - 1]
    assert Action.objects.filter(kind=Action.Kind.IMPROVEMENT).exists()
