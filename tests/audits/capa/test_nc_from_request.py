"""A citizen complaint or a low rating becomes a nonconformity with one action, linked both ways."""

import pytest
from django.urls import reverse

from audits.capa.models import Nonconformity
from services import workflow as service_workflow
from services.models import Service
from tests.services.conftest import SECRET_CONTACT, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def complaint(agency, department_a, owner):
    service = Service.objects.create(
        agency=agency,
        code="COMPLAINT",
        name_zh="投诉",
        name_en="Complaint about a service",
        department=department_a,
        commitment_days=5,
        is_complaint=True,
    )
    return make_request(service, description="The counter closed an hour early twice this week.")


def raise_from(client, person, item, severity="major"):
    client.force_login(person)
    return client.post(reverse("capa:nc_from_request", args=[item.pk]), {"severity": severity})


def test_a_quality_manager_turns_a_complaint_into_a_nonconformity(
    client, complaint, quality_manager, owner
):
    response = raise_from(client, quality_manager, complaint)
    nc = Nonconformity.objects.get()
    assert response.status_code == 302 and response.url == nc.get_absolute_url()
    assert nc.source == Nonconformity.Source.COMPLAINT and nc.severity == "major"
    assert nc.service_request == complaint and nc.owner == owner  # the department's head
    assert "closed an hour early" in nc.description
    assert not any(value in nc.description for value in SECRET_CONTACT.values() if value)
    complaint.refresh_from_db()
    assert complaint.nonconformity_ref == nc.reference
    page = client.get(reverse("services:request", args=[complaint.pk])).content.decode()
    assert nc.get_absolute_url() in page


def test_the_request_page_offers_the_action_to_quality_managers_only(
    client, complaint, quality_manager, colleague
):
    url = reverse("services:request", args=[complaint.pk])
    client.force_login(colleague)
    assert "Raise nonconformity" not in client.get(url).content.decode()
    client.force_login(quality_manager)
    assert "Raise nonconformity" in client.get(url).content.decode()


def test_a_low_rating_qualifies_but_a_good_one_does_not(
    client, department_a, agency, quality_manager
):
    service = Service.objects.create(
        agency=agency,
        code="FIN-ADVICE",
        name_zh="咨询",
        name_en="Advice",
        department=department_a,
        commitment_days=5,
    )
    good, poor = make_request(service), make_request(service)
    for item in (good, poor):
        service_workflow.acknowledge(request_id=item.pk, actor=quality_manager)
        service_workflow.start_work(request_id=item.pk, actor=quality_manager)
        service_workflow.resolve(request_id=item.pk, actor=quality_manager, note="Answered")
    service_workflow.rate(tracking_code=good.tracking_code, score=5)
    service_workflow.rate(tracking_code=poor.tracking_code, score=1, comment="Nobody called back")
    response = raise_from(client, quality_manager, good)
    assert (
        response.status_code == 409 and "neither a complaint nor rated" in response.content.decode()
    )
    assert raise_from(client, quality_manager, poor).status_code == 302
    assert "Rated 1/5: Nobody called back" in Nonconformity.objects.get().description


def test_twice_is_refused_and_nothing_is_half_saved(client, complaint, quality_manager):
    raise_from(client, quality_manager, complaint)
    assert raise_from(client, quality_manager, complaint).status_code == 409
    assert Nonconformity.objects.count() == 1


def test_staff_and_other_agencies_cannot(client, complaint, colleague, stranger):
    assert raise_from(client, colleague, complaint).status_code == 403
    assert raise_from(client, stranger, complaint).status_code == 403
    assert raise_from(client, colleague, complaint, severity="catastrophic").status_code == 400
    assert not Nonconformity.objects.exists()
