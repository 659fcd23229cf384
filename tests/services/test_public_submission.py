"""Citizens submit without signing in, follow their request by an unguessable code, and rate it."""

import pytest
from django.urls import reverse

from services import workflow
from services.models import RequestPhoto, ServiceRequest, normalise_tracking_code
from tests.services.conftest import SECRET_CONTACT, png

pytestmark = pytest.mark.django_db


def form_data(**extra):
    return {
        "description": "I paid the licence fee twice.",
        "q_AMOUNT": "120.50",
        "q_METHOD": "card",
        "q_DOCS": ["receipt", "id"],
        "address": "1 Jianshe Road",
        "lat": "22.579",
        "long": "113.0815",
        **SECRET_CONTACT,
        **extra,
    }


def submit(client, service, **extra):
    return client.post(reverse("services:service", args=[service.code]), form_data(**extra))


def test_service_page_shows_the_form_with_its_questions(client, service):
    response = client.get(reverse("services:service", args=[service.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="q_AMOUNT"' in html and 'name="q_DOCS"' in html and 'name="website"' in html
    assert "csrfmiddlewaretoken" in html


def test_submission_creates_a_request_and_shows_the_tracking_code(client, service):
    response = submit(client, service, photos=[png("a.png"), png("b.png")])
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"{request.get_tracking_url()}?new=1"
    assert request.channel == "web"
    assert request.status == "received"
    assert request.answers == {"AMOUNT": "120.50", "METHOD": "card", "DOCS": ["receipt", "id"]}
    assert request.department == service.department
    assert request.citizen_email == SECRET_CONTACT["citizen_email"]
    assert RequestPhoto.objects.filter(request=request).count() == 2
    page = client.get(response["Location"])
    assert request.tracking_code in page.content.decode()


def test_tracking_codes_are_long_random_and_distinct(service):
    from tests.services.conftest import make_request

    codes = {make_request(service).tracking_code for _n in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code.replace("-", "")) == 16  # 80 bits from a 32-letter alphabet
        assert normalise_tracking_code(code.lower().replace("-", " ")) == code


def test_missing_required_answer_and_bad_choices_are_explained_and_nothing_saved(client, service):
    response = submit(client, service, q_AMOUNT="", q_METHOD="bitcoin")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "q_AMOUNT" in errors and "q_METHOD" in errors
    assert not ServiceRequest.objects.exists()


def test_coordinates_out_of_range_are_refused(client, service):
    response = submit(client, service, lat="95", long="200")
    assert response.status_code == 400
    assert "lat" in response.context["form"].errors
    assert "long" in response.context["form"].errors
    assert not ServiceRequest.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_saved(client, service):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = submit(client, service, photos=[fake])
    assert response.status_code == 400
    assert "photos" in response.context["form"].errors
    assert not ServiceRequest.objects.exists()
    assert not RequestPhoto.objects.exists()


def test_tracking_page_shows_public_updates_only_and_never_contact_details(
    client, citizen_request, owner
):
    workflow.acknowledge(request_id=citizen_request.pk, actor=owner, note="We are on it.")
    workflow.add_update(
        request_id=citizen_request.pk, actor=owner, text="INTERNAL: caller is rude", public=False
    )
    html = client.get(citizen_request.get_tracking_url()).content.decode()
    assert "We are on it." in html
    assert "INTERNAL" not in html
    for secret in SECRET_CONTACT.values():
        assert secret not in html


def test_rejection_reason_is_shown_to_the_citizen(client, citizen_request, owner):
    workflow.reject(request_id=citizen_request.pk, actor=owner, reason="Ask the district office.")
    html = client.get(citizen_request.get_tracking_url()).content.decode()
    assert "Ask the district office." in html and "Rejected" in html


def test_unknown_tracking_code_is_a_clear_404(client):
    response = client.get(reverse("services:track", args=["AAAA-BBBB-CCCC-DDDD"]))
    assert response.status_code == 404
    assert "No request has this tracking code" in response.content.decode()
    assert client.get(reverse("services:track", args=["nonsense"])).status_code == 404


def test_lookup_form_accepts_a_sloppily_typed_code(client, citizen_request):
    typed = citizen_request.tracking_code.replace("-", " ").lower()
    response = client.get(reverse("services:track_lookup"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == citizen_request.get_tracking_url()


def test_citizen_rates_once_after_resolution(client, citizen_request, owner):
    rate_url = reverse("services:rate", args=[citizen_request.tracking_code])
    client.post(rate_url, {"score": "5"})
    citizen_request.refresh_from_db()
    assert citizen_request.rating is None  # not resolved yet
    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Refunded.")
    page = client.get(citizen_request.get_tracking_url())
    assert page.context["rating_form"] is not None
    assert client.post(rate_url, {"score": "2", "comment": "Slow"}).status_code == 302
    citizen_request.refresh_from_db()
    assert (citizen_request.rating, citizen_request.rating_comment) == (2, "Slow")
    client.post(rate_url, {"score": "5"})
    citizen_request.refresh_from_db()
    assert citizen_request.rating == 2
    with pytest.raises(workflow.RequestError):
        workflow.rate(tracking_code=citizen_request.tracking_code, score=5)


def test_rating_out_of_range_is_refused(client, citizen_request, owner):
    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Refunded.")
    response = client.post(
        reverse("services:rate", args=[citizen_request.tracking_code]), {"score": "9"}
    )
    assert response.status_code == 400
    citizen_request.refresh_from_db()
    assert citizen_request.rating is None


def test_low_rating_is_a_nonconformity_candidate_and_notifies_the_head(citizen_request, owner):
    from qms_portal.organisation.models import Notification
    from services.models import ServiceRequest as Model

    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Done.")
    workflow.rate(tracking_code=citizen_request.tracking_code, score=1, comment="Rude staff")
    assert list(Model.objects.nonconformity_candidates()) == [citizen_request]
    assert Notification.objects.filter(
        recipient=owner, key__startswith="services:low-rating"
    ).exists()


def test_audits_can_link_a_nonconformity_once(citizen_request, quality_manager, outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workflow.link_nonconformity(request_id=citizen_request.pk, actor=outsider, reference="NC-1")
    workflow.link_nonconformity(
        request_id=citizen_request.pk, actor=quality_manager, reference="NC-2026-004"
    )
    citizen_request.refresh_from_db()
    assert citizen_request.nonconformity_ref == "NC-2026-004"
    with pytest.raises(workflow.RequestError):
        workflow.link_nonconformity(
            request_id=citizen_request.pk, actor=quality_manager, reference="NC-5"
        )
