"""Rate limits per client address, size limits, the honeypot and CSRF; none block one citizen."""

import pytest
from django.test import Client
from django.urls import reverse

from services.models import ServiceRequest
from tests.services.conftest import make_request
from tests.services.test_public_submission import form_data

pytestmark = pytest.mark.django_db


def test_an_ordinary_citizen_can_submit_a_few_requests(client, service):
    url = reverse("services:service", args=[service.code])
    for _n in range(3):
        assert client.post(url, form_data()).status_code == 302
    assert ServiceRequest.objects.count() == 3


def test_too_many_submissions_from_one_address_get_a_clear_429(client, service, settings):
    settings.SERVICES_SUBMIT_LIMIT = 2
    url = reverse("services:service", args=[service.code])
    assert client.post(url, form_data()).status_code == 302
    assert client.post(url, form_data()).status_code == 302
    blocked = client.post(url, form_data())
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert ServiceRequest.objects.count() == 2
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(url, form_data()).status_code == 302


def test_guessing_tracking_codes_is_throttled(client, settings):
    settings.SERVICES_TRACK_FAILURE_LIMIT = 3
    for _n in range(3):
        assert (
            client.get(reverse("services:track", args=["AAAA-BBBB-CCCC-DDDD"])).status_code == 404
        )
    assert client.get(reverse("services:track", args=["AAAA-BBBB-CCCC-DDDE"])).status_code == 429


def test_honeypot_filled_in_is_refused(client, service):
    response = client.post(
        reverse("services:service", args=[service.code]), form_data(website="http://spam")
    )
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_form_without_csrf_token_is_refused(service):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("services:service", args=[service.code]), form_data())
    assert response.status_code == 403
    assert not ServiceRequest.objects.exists()


def test_huge_body_is_refused_with_a_page_not_a_500(client, service):
    response = client.post(
        reverse("services:service", args=[service.code]),
        form_data(),
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert not ServiceRequest.objects.exists()


def test_overlong_description_is_refused(client, service):
    response = client.post(
        reverse("services:service", args=[service.code]), form_data(description="x" * 4001)
    )
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_too_many_photos_are_refused(client, service):
    from tests.services.conftest import png

    response = client.post(
        reverse("services:service", args=[service.code]),
        form_data(photos=[png(f"p{n}.png") for n in range(4)]),
    )
    assert response.status_code == 400
    assert "photos" in response.context["form"].errors


def test_guessing_open311_tokens_is_throttled_like_the_tracking_page(
    client, simple_service, settings
):
    """Tokens are tracking codes: the API must not be the easier place to guess them."""
    settings.SERVICES_TRACK_FAILURE_LIMIT = 3
    real = make_request(simple_service, address="1 Road").tracking_code
    assert client.get(f"/open311/v2/tokens/{real}.json").status_code == 200  # found: not counted
    for guess in ("AAAA-BBBB-CCCC-DDDD", "AAAA-BBBB-CCCC-DDDE"):
        response = client.get(f"/open311/v2/tokens/{guess}.json")
        assert response.status_code == 404
    # The public page and the API share one count per client address.
    assert client.get(reverse("services:track", args=["AAAA-BBBB-CCCC-DDDF"])).status_code == 404
    blocked = client.get(f"/open311/v2/tokens/{real}.json")
    assert blocked.status_code == 429
    (error,) = blocked.json()
    assert error["code"] == 429 and "try again" in error["description"]
    assert client.get(f"/open311/v2/tokens/{real}.xml").status_code == 429
    assert client.get(reverse("services:track", args=[real])).status_code == 429
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.get(f"/open311/v2/tokens/{real}.json").status_code == 200
