"""NUL and other control characters are refused with a clear 4xx before any query, everywhere.

PostgreSQL refuses text containing NUL (psycopg raises DataError: a 500), while SQLite stores it.
``postgres_refuses_nul`` (tests/conftest.py) makes the SQLite test database refuse it the same way,
so these tests fail whenever a NUL reaches a query, as it would in production.
"""

import json
import xml.etree.ElementTree as ET

import pytest
from django.db import DataError
from django.urls import reverse

from services import intake
from services.models import ServiceRequest
from tests.services.test_open311 import BASE, assert_error, valid
from tests.services.test_public_submission import form_data

pytestmark = pytest.mark.django_db
NUL = "\x00"


def control_error(response, field):
    """The response is a 400 Open311 error list naming ``field`` and its control characters."""
    assert response.status_code == 400, response.content
    payload = response.json()
    assert_error(payload, 400)
    descriptions = " ".join(error["description"] for error in payload)
    assert field in descriptions and "control characters" in descriptions, descriptions


def test_the_guard_itself_refuses_nul_like_postgresql(postgres_refuses_nul, service):
    """Without this the tests below could not fail on SQLite."""
    with pytest.raises(DataError):
        list(ServiceRequest.objects.filter(description=f"a{NUL}b"))


# Central validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "description",
        "citizen_name",
        "citizen_email",
        "citizen_phone",
        "address",
        "address_id",
        "zipcode",
        "media_url",
        "device_id",
        "account_id",
    ],
)
def test_intake_refuses_nul_in_every_field(simple_service, field):
    with pytest.raises(intake.SubmissionError) as refused:
        intake.clean_submission(
            questions=[],
            data={"description": "A broken lamp", field: f"1 Road{NUL}"},
            raw_answers={},
        )
    assert any("control characters" in message for _name, message in refused.value.errors)


def test_intake_refuses_control_characters_in_answers_and_attribute_codes(service):
    questions = list(service.questions.all())
    for raw in ({"AMOUNT": [f"12{NUL}"]}, {"AMOUNT": ["12"], f"X{NUL}": ["1"]}):
        with pytest.raises(intake.SubmissionError) as refused:
            intake.clean_submission(
                questions=questions, data={"description": "Paid twice"}, raw_answers=raw
            )
        assert "control characters" in str(refused.value)


def test_line_breaks_and_tabs_in_free_text_are_kept_but_not_in_single_line_fields(simple_service):
    submission = intake.clean_submission(
        questions=[],
        data={"description": "Line one\r\n\tLine two", "address": "1 Road\nDistrict 3"},
        raw_answers={},
    )
    assert submission.description == "Line one\r\n\tLine two"
    assert submission.address == "1 Road\nDistrict 3"
    with pytest.raises(intake.SubmissionError):
        intake.clean_submission(
            questions=[], data={"description": "x", "citizen_phone": "123\n456"}, raw_answers={}
        )


# Open311 POST -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "description",
        "address_string",
        "address_id",
        "zipcode",
        "first_name",
        "last_name",
        "email",
        "phone",
        "device_id",
        "account_id",
        "media_url",
        "api_key",
        "service_code",
        "jurisdiction_id",
        "attribute[AMOUNT]",
    ],
)
def test_api_post_refuses_nul_in_any_field(client, service, api_key, postgres_refuses_nul, field):
    response = client.post(f"{BASE}/requests.json", {**valid(api_key), field: f"ab{NUL}c"})
    control_error(response, field)
    assert not ServiceRequest.objects.exists()


def test_api_post_refuses_nul_in_one_of_several_answers(
    client, service, api_key, postgres_refuses_nul
):
    response = client.post(
        f"{BASE}/requests.json", valid(api_key, **{"attribute[DOCS][]": ["receipt", f"id{NUL}"]})
    )
    control_error(response, "attribute[DOCS]")
    assert not ServiceRequest.objects.exists()


def test_api_post_refuses_nul_in_a_field_name(client, service, api_key, postgres_refuses_nul):
    response = client.post(
        f"{BASE}/requests.json", {**valid(api_key), f"attribute[AM{NUL}]": "5", f"x{NUL}": "1"}
    )
    assert response.status_code == 400
    assert_error(response.json(), 400)
    assert not ServiceRequest.objects.exists()


def test_api_post_json_with_nul_or_a_lone_surrogate_is_400(
    client, service, api_key, postgres_refuses_nul
):
    for description in ("a\\u0000b", "a\\ud800b"):  # JSON escapes: NUL, a lone surrogate
        body = (
            f'{{"api_key": "{api_key.key}", "service_code": "FIN-REFUND", "lat": 22.5,'
            f' "long": 113.1, "attribute": {{"AMOUNT": 5}}, "description": "{description}"}}'
        )
        response = client.post(f"{BASE}/requests.json", body, content_type="application/json")
        control_error(response, "description")
    assert not ServiceRequest.objects.exists()


def test_api_post_error_list_in_xml_is_readable(client, service, api_key, postgres_refuses_nul):
    response = client.post(f"{BASE}/requests.xml", valid(api_key, zipcode=f"518{NUL}"))
    assert response.status_code == 400
    root = ET.fromstring(response.content)
    assert root.findtext("error/code") == "400" and "zipcode" in root.findtext("error/description")


# Open311 GET ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, param",
    [
        ("requests", "service_code"),
        ("requests", "jurisdiction_id"),
        ("requests", "status"),
        ("requests", "service_request_id"),
        ("requests", "start_date"),
        ("services", "jurisdiction_id"),
        ("services/FIN-REFUND", "jurisdiction_id"),
        ("discovery", "jurisdiction_id"),
    ],
)
def test_api_get_parameters_with_nul_are_400(client, service, postgres_refuses_nul, path, param):
    control_error(client.get(f"{BASE}/{path}.json", {param: f"FIN{NUL}"}), param)


@pytest.mark.parametrize(
    "path, name",
    [
        ("services/%00", "service_code"),
        ("services/FIN%00REFUND", "service_code"),
        ("tokens/%00", "token"),
        ("tokens/AAAA-BBBB%00-CCCC-DDDD", "token"),
    ],
)
def test_api_path_segments_with_nul_are_400(client, service, postgres_refuses_nul, path, name):
    control_error(client.get(f"{BASE}/{path}.json"), name)


def test_request_number_with_nul_is_400_without_the_nul_echoed(
    client, citizen_request, postgres_refuses_nul
):
    """The path matches no resource (a request number is digits); it is refused all the same,
    in the API's own format, and the NUL is not echoed (it would make the XML unreadable)."""
    response = client.get(f"{BASE}/requests/1%00.xml")
    assert response.status_code == 400
    assert b"\x00" not in response.content
    assert ET.fromstring(response.content).findtext("error/code") == "400"


def test_request_numbers_must_be_ascii_digits(client, citizen_request):
    """ "²".isdigit() is true but int("²") fails: that was a 500."""
    response = client.get(f"{BASE}/requests.json", {"service_request_id": "²"})
    assert response.status_code == 400
    assert_error(response.json(), 400)
    assert client.get(f"{BASE}/requests/٣.json").status_code == 404


# Public pages -----------------------------------------------------------------------------------


def refused_page(response, field):
    """A 400 page, from the portal's one guard, that names the field holding the characters."""
    assert response.status_code == 400, response.content
    text = response.content.decode()
    assert "control characters" in text and field in text, text
    assert "\x00" not in text


def test_service_page_with_nul_in_the_code_is_400(client, service, postgres_refuses_nul):
    """A service code is a slug: the path matches no page, and is refused as an address."""
    refused_page(client.get("/services/s/%00/"), "address of the page")
    refused_page(client.get("/services/s/FIN-REFUND%00/"), "address of the page")
    refused_page(client.post("/services/s/%00/", form_data()), "address of the page")
    assert not ServiceRequest.objects.exists()


def test_tracking_page_with_nul_is_400(client, citizen_request, postgres_refuses_nul):
    code = citizen_request.tracking_code
    refused_page(client.get(f"/services/track/{code[:4]}%00{code[4:]}/"), "code")
    refused_page(client.get("/services/track/%00/"), "code")
    refused_page(client.post("/services/track/%00/rate/", {"score": "5"}), "code")
    citizen_request.refresh_from_db()
    assert citizen_request.rating is None


def test_tracking_lookup_with_nul_is_400_with_a_message(client, postgres_refuses_nul):
    refused_page(client.get(reverse("services:track_lookup"), {"code": f"AAAA{NUL}"}), "code")


def test_public_form_with_nul_is_400_and_saves_nothing(client, service, postgres_refuses_nul):
    url = reverse("services:service", args=[service.code])
    for field, data in (
        ("description", form_data(description=f"Paid{NUL} twice")),
        ("address", form_data(address=f"1 Road{NUL}")),
        ("citizen_name", form_data(citizen_name=f"Zhang{NUL}")),
        ("q_AMOUNT", form_data(q_AMOUNT=f"12{NUL}")),
        ("description", form_data(description="Vertical\x0btab")),
    ):
        refused_page(client.post(url, data), field)
    assert not ServiceRequest.objects.exists()


def test_public_form_keeps_tabs_and_line_breaks_in_text(client, service):
    url = reverse("services:service", args=[service.code])
    response = client.post(url, form_data(description="Paid twice:\r\n\tonce in cash"))
    assert response.status_code == 302, response.content
    assert ServiceRequest.objects.get().description == "Paid twice:\r\n\tonce in cash"


def test_api_accepts_unicode_text(client, service, api_key):
    """The guard is about control characters, not about non-ASCII text."""
    response = client.post(
        f"{BASE}/requests.json",
        valid(api_key, description="路灯坏了 — 请修理", address_string="建设路1号"),
    )
    assert response.status_code == 200, response.content
    assert json.loads(response.content)[0]["service_request_id"]
