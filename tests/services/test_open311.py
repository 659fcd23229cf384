"""Open311 GeoReport v2: every endpoint's fields and errors, in JSON and XML, per the spec."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from services import api, workflow
from services.models import ApiKey, Service, ServiceQuestion, ServiceRequest
from services.open311 import API_CHANGED_AT, w3
from tests.services.conftest import SECRET_CONTACT, local, make_request

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
W3_OFFSET = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def get_json(client, path, expect=200, **params):
    response = client.get(f"{BASE}/{path}.json", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def get_xml(client, path, expect=200, **params):
    response = client.get(f"{BASE}/{path}.xml", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def valid(api_key, **extra):
    if extra.get("service_code") == "FIN-ADVICE":  # a service without questions
        data = {k: v for k, v in valid(api_key).items() if not k.startswith("attribute")}
        return {**data, **extra}
    return {
        "api_key": api_key.key,
        "service_code": "FIN-REFUND",
        "lat": "22.579",
        "long": "113.0815",
        "description": "Paid twice",
        "attribute[AMOUNT]": "50",
        "attribute[DOCS][]": ["receipt", "id"],
        "email": SECRET_CONTACT["citizen_email"],
        "first_name": "Zhang",
        "last_name": "Secretname",
        "phone": SECRET_CONTACT["citizen_phone"],
        **extra,
    }


def assert_error(payload, code):
    assert isinstance(payload, list) and payload
    assert set(payload[0]) == {"code", "description"}
    assert payload[0]["code"] == code and payload[0]["description"]


def test_discovery(client):
    data = get_json(client, "discovery")
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = get_xml(client, "discovery")
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


def test_service_list_json_and_xml(client, service, simple_service):
    data = get_json(client, "services")
    assert [s["service_code"] for s in data] == ["FIN-ADVICE", "FIN-REFUND"]
    refund = data[1]
    assert set(refund) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert (
        refund["metadata"] is True
        and refund["type"] == "realtime"
        and refund["group"] == "payments"
    )
    assert data[0]["metadata"] is False and data[0]["type"] == "batch"
    root = get_xml(client, "services")
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        "FIN-ADVICE",
        "FIN-REFUND",
    ]
    assert root.find("service[2]/metadata").text == "true"


def test_service_definition_json_and_xml(client, service):
    data = get_json(client, "services/FIN-REFUND")
    assert data["service_code"] == "FIN-REFUND"
    amount, method, docs = data["attributes"]
    assert amount == {
        "variable": True,
        "code": "AMOUNT",
        "datatype": "number",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "Amount",
    }
    assert method["datatype"] == "singlevaluelist"
    assert method["values"] == [
        {"key": "cash", "name": "Cash"},
        {"key": "card", "name": "Bank card"},
    ]
    assert docs["datatype"] == "multivaluelist"
    root = get_xml(client, "services/FIN-REFUND")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "FIN-REFUND"
    attribute = root.find("attributes/attribute[2]")
    assert attribute.findtext("required") == "false"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["cash", "card"]


def test_unknown_service_definition_is_404_error_list(client, service):
    assert_error(get_json(client, "services/NOPE", expect=404), 404)
    root = get_xml(client, "services/NOPE", expect=404)
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_post_request_returns_service_request_id_and_stores_everything(client, service, api_key):
    response = post(client, **valid(api_key))
    assert response.status_code == 200, response.content
    (result,) = response.json()
    assert set(result) == {"service_request_id", "service_notice", "account_id"}
    request = ServiceRequest.objects.get(pk=result["service_request_id"])
    assert request.channel == "open311" and request.api_key == api_key
    assert request.answers == {"AMOUNT": "50", "DOCS": ["receipt", "id"]}
    assert request.citizen_name == "Zhang Secretname"
    assert result["service_notice"] == "We reply within 3 working days."


def test_post_to_a_batch_service_returns_a_token_that_resolves(client, simple_service, api_key):
    response = post(client, "xml", **valid(api_key, service_code="FIN-ADVICE"))
    assert response.status_code == 200, response.content
    root = ET.fromstring(response.content)
    token = root.findtext("request/token")
    assert token and root.find("request/service_request_id") is None
    data = get_json(client, f"tokens/{token}")
    assert data == [{"service_request_id": ServiceRequest.objects.get().pk, "token": token}]
    assert get_xml(client, f"tokens/{token}").findtext("request/token") == token
    assert_error(get_json(client, "tokens/AAAA-BBBB-CCCC-DDDD", expect=404), 404)


def test_post_json_and_xml_bodies(client, service, api_key):
    body = {
        "api_key": api_key.key,
        "service_code": "FIN-REFUND",
        "address_string": "1 Road",
        "attribute": {"AMOUNT": 5, "DOCS": ["receipt"]},
    }
    response = client.post(
        f"{BASE}/requests.json", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    xml = (
        f"<service_request><api_key>{api_key.key}</api_key><service_code>FIN-REFUND</service_code>"
        "<address_id>A-42</address_id><attribute code='AMOUNT'>7</attribute></service_request>"
    )
    response = client.post(f"{BASE}/requests.xml", xml, content_type="text/xml")
    assert response.status_code == 200, response.content
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("<request><unclosed>", "text/xml"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><r>&a;</r>', "text/xml"),
        ("whatever", "text/plain"),
    ],
)
def test_malformed_bodies_are_400_error_lists(client, service, api_key, body, content_type):
    response = client.post(f"{BASE}/requests.json", body, content_type=content_type)
    assert response.status_code == 400
    assert_error(response.json(), 400)
    assert not ServiceRequest.objects.exists()


def test_post_errors(client, service, api_key):
    missing_key = post(client, **{**valid(api_key), "api_key": ""})
    assert missing_key.status_code == 403
    assert_error(missing_key.json(), 403)
    api_key.is_active = False
    api_key.save()
    assert post(client, **valid(api_key)).status_code == 403
    api_key.is_active = True
    api_key.save()
    assert post(client, **valid(api_key, service_code="")).status_code == 400
    unknown = post(client, **valid(api_key, service_code="NOPE"))
    assert unknown.status_code == 404
    no_location = valid(api_key)
    del no_location["lat"], no_location["long"]
    assert post(client, **no_location).status_code == 400
    out_of_range = post(client, **valid(api_key, lat="91", long="181"))
    assert out_of_range.status_code == 400
    assert len(out_of_range.json()) == 2
    missing_answer = valid(api_key)
    del missing_answer["attribute[AMOUNT]"]
    response = post(client, **missing_answer)
    assert response.status_code == 400 and "Amount" in response.json()[0]["description"]
    assert post(client, **valid(api_key, **{"attribute[DOCS][]": ["bogus"]})).status_code == 400
    assert post(client, **valid(api_key, description="x" * 4001)).status_code == 400
    assert not ServiceRequest.objects.exists()


def test_huge_body_is_refused(client, service, api_key):
    response = client.post(
        f"{BASE}/requests.json", {**valid(api_key), "description": "x" * (70 * 1024)}
    )
    assert response.status_code == 400
    assert_error(response.json(), 400)
    assert not ServiceRequest.objects.exists()


def test_api_submissions_are_rate_limited(client, service, api_key, settings):
    settings.SERVICES_SUBMIT_LIMIT = 1
    assert post(client, **valid(api_key)).status_code == 200
    response = post(client, **valid(api_key))
    assert response.status_code == 429
    assert_error(response.json(), 429)


def test_get_request_fields_json_and_xml(client, citizen_request, owner):
    workflow.reject(request_id=citizen_request.pk, actor=owner, reason="Duplicate request.")
    (data,) = get_json(client, f"requests/{citizen_request.pk}")
    assert list(data) == REQUEST_FIELDS
    assert data["service_request_id"] == citizen_request.pk
    assert data["status"] == "closed"
    assert data["status_notes"] == "Duplicate request."
    assert data["agency_responsible"] == "Finance"
    assert data["lat"] == 22.579 and data["long"] == 113.0815
    import re

    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert re.match(W3_OFFSET, data[field]), data[field]
    assert data["requested_datetime"].endswith("+08:00")
    root = get_xml(client, f"requests/{citizen_request.pk}")
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == REQUEST_FIELDS
    assert root.find("request/address_id").text is None  # empty element for a missing value
    assert_error(get_json(client, "requests/999999", expect=404), 404)


def test_open311_status_maps_internal_states(citizen_request, owner):
    assert citizen_request.open311_status == "open"
    workflow.acknowledge(request_id=citizen_request.pk, actor=owner)
    workflow.start_work(request_id=citizen_request.pk, actor=owner)
    assert ServiceRequest.objects.get().open311_status == "open"
    workflow.resolve(request_id=citizen_request.pk, actor=owner, note="Done")
    assert ServiceRequest.objects.get().open311_status == "closed"


def test_get_requests_filters_and_defaults(client, service, simple_service, owner):
    now = timezone.now()
    old = make_request(service, at=now - timedelta(days=120))
    recent = make_request(service, at=now - timedelta(days=2))
    closed = make_request(simple_service, at=now - timedelta(days=1))
    workflow.reject(request_id=closed.pk, actor=owner, reason="No")
    ids = lambda **p: [r["service_request_id"] for r in get_json(client, "requests", **p)]  # noqa: E731
    assert ids() == [closed.pk, recent.pk]  # default: the last 90 days, newest first
    assert ids(status="open") == [recent.pk]
    assert ids(status="closed") == [closed.pk]
    assert ids(status="open,closed") == [closed.pk, recent.pk]
    assert ids(service_code="FIN-ADVICE") == [closed.pk]
    assert ids(service_code="FIN-ADVICE,FIN-REFUND") == [closed.pk, recent.pk]
    start = (now - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert ids(start_date=start, end_date=end) == [old.pk]
    assert ids(start_date=start) == [old.pk]  # start alone: 90 days from start
    assert ids(service_request_id=f"{old.pk},{recent.pk}", status="closed") == [recent.pk, old.pk]
    root = get_xml(client, "requests", status="open")
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [str(recent.pk)]


def test_get_requests_errors(client, service):
    assert_error(get_json(client, "requests", expect=400, start_date="yesterday"), 400)
    assert_error(get_json(client, "requests", expect=400, start_date="2026-01-01T00:00:00"), 400)
    assert_error(
        get_json(
            client,
            "requests",
            expect=400,
            start_date="2026-01-01T00:00:00Z",
            end_date="2026-06-01T00:00:00Z",
        ),
        400,
    )
    assert_error(
        get_json(
            client,
            "requests",
            expect=400,
            start_date="2026-02-01T00:00:00Z",
            end_date="2026-01-01T00:00:00Z",
        ),
        400,
    )
    assert_error(get_json(client, "requests", expect=400, status="pending"), 400)
    assert_error(get_json(client, "requests", expect=400, service_request_id="1,abc"), 400)
    assert_error(get_json(client, "requests", expect=404, service_code="NOPE"), 404)
    assert_error(get_json(client, "requests", expect=404, jurisdiction_id="nowhere.gov"), 404)
    root = get_xml(client, "requests", expect=400, end_date="garbage")
    assert root.tag == "errors" and root.findtext("error/code") == "400"


def test_jurisdiction_id_selects_the_agency(client, service, agency):
    assert len(get_json(client, "services", jurisdiction_id=agency.code)) == 1
    assert len(get_json(client, "services", jurisdiction_id=agency.code.lower())) == 1


def test_requests_of_non_public_services_are_not_listed(client, service, citizen_request):
    service.is_public = False
    service.save()
    assert get_json(client, "requests") == []
    assert_error(get_json(client, f"requests/{citizen_request.pk}", expect=404), 404)


def test_at_most_max_requests_are_returned_newest_first(client, service, monkeypatch):
    """Open311: "first 1000 requests returned"; shrunk to 5 here so the truncation really runs."""
    assert api.MAX_REQUESTS == 1000
    monkeypatch.setattr(api, "MAX_REQUESTS", 5)
    now = timezone.now()
    made = [make_request(service, at=now - timedelta(hours=n)) for n in range(7)]
    newest_five = [r.pk for r in made[:5]]
    assert [r["service_request_id"] for r in get_json(client, "requests")] == newest_five
    root = get_xml(client, "requests")
    assert [int(r.findtext("service_request_id")) for r in root.findall("request")] == newest_five
    all_ids = ",".join(str(r.pk) for r in made)
    assert_error(get_json(client, "requests", expect=400, service_request_id=all_ids), 400)
    five_ids = ",".join(str(pk) for pk in newest_five)
    assert len(get_json(client, "requests", service_request_id=five_ids)) == 5


def test_unknown_resources_and_methods_are_error_lists(client):
    assert_error(client.get(f"{BASE}/nothing.json").json(), 404)
    assert client.get(f"{BASE}/services.csv").status_code == 404
    response = client.delete(f"{BASE}/requests.json")
    assert response.status_code == 405
    assert_error(response.json(), 405)


def test_no_contact_details_in_any_api_response(client, service, simple_service, api_key):
    response = post(client, **valid(api_key))
    request_id = response.json()[0]["service_request_id"]
    batch = post(client, **valid(api_key, service_code="FIN-ADVICE")).json()[0]["token"]
    bodies = [response.content]
    for fmt in ("json", "xml"):
        for path in (
            "requests",
            f"requests/{request_id}",
            f"tokens/{batch}",
            "services",
            "services/FIN-REFUND",
        ):
            bodies.append(client.get(f"{BASE}/{path}.{fmt}").content)
    for body in bodies:
        text = body.decode()
        for secret in (*SECRET_CONTACT.values(), "Secretname"):
            assert secret not in text


def test_request_from_the_public_form_reads_back_through_the_api(client, service):
    from django.urls import reverse

    from tests.services.test_public_submission import form_data

    response = client.post(reverse("services:service", args=[service.code]), form_data())
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    (data,) = get_json(client, f"requests/{request.pk}")
    assert data["service_code"] == "FIN-REFUND"
    assert data["description"] == "I paid the licence fee twice."
    assert data["address"] == "1 Jianshe Road"
    assert data["status"] == "open"
    listed = get_json(client, "requests", service_code="FIN-REFUND")
    assert [r["service_request_id"] for r in listed] == [request.pk]


def test_api_key_is_not_kept_in_history(api_key):
    assert "key" not in [f.name for f in ApiKey.history.model._meta.fields]


def updated_datetime(client, request):
    (data,) = get_json(client, f"requests/{request.pk}")
    return data["updated_datetime"], data["status_notes"]


def test_internal_notes_and_assignment_do_not_move_updated_datetime(
    client, service, owner, colleague
):
    """Internal notes are never shown to citizens; neither is when they were written."""
    submitted = local(2026, 3, 2, 9, 0)
    item = make_request(service, at=submitted)
    workflow.add_update(
        request_id=item.pk,
        actor=owner,
        text="Check the bank",
        public=False,
        at=local(2026, 3, 3, 10, 0),
    )
    workflow.assign(
        request_id=item.pk, actor=owner, assignee=colleague, at=local(2026, 3, 3, 11, 0)
    )
    assert updated_datetime(client, item) == (w3(submitted), None)
    item.refresh_from_db()
    assert item.updated_at == submitted
    public_at = local(2026, 3, 4, 9, 30)
    workflow.add_update(
        request_id=item.pk, actor=owner, text="Refund approved", public=True, at=public_at
    )
    assert updated_datetime(client, item) == (w3(public_at), "Refund approved")


def test_closed_requests_report_when_they_were_closed(client, service, owner):
    """Open311: "For requests with status=closed, this will be the date the request was closed"."""
    item = make_request(service, at=local(2026, 3, 2, 9, 0))
    workflow.start_work(request_id=item.pk, actor=owner, at=local(2026, 3, 2, 10, 0))
    resolved_at = local(2026, 3, 3, 15, 0)  # status becomes "closed" for Open311 here
    workflow.resolve(request_id=item.pk, actor=owner, note="Refunded", at=resolved_at)
    workflow.add_update(
        request_id=item.pk, actor=owner, text="Receipt posted", public=True, at=local(2026, 3, 5, 9)
    )
    workflow.close(request_id=item.pk, actor=owner, at=local(2026, 3, 6, 9, 0))
    workflow.add_update(
        request_id=item.pk, actor=owner, text="Filed", public=False, at=local(2026, 3, 7, 9, 0)
    )
    assert updated_datetime(client, item) == (w3(resolved_at), "Receipt posted")

    rejected = make_request(service, at=local(2026, 3, 2, 9, 0))
    rejected_at = local(2026, 3, 2, 11, 0)
    workflow.reject(request_id=rejected.pk, actor=owner, reason="Duplicate", at=rejected_at)
    workflow.add_update(
        request_id=rejected.pk, actor=owner, text="See #1", public=True, at=local(2026, 3, 4, 9)
    )
    assert updated_datetime(client, rejected) == (w3(rejected_at), "See #1")


def discovery_changesets(client):
    data = get_json(client, "discovery")
    root = get_xml(client, "discovery")
    changesets = {
        data["changeset"],
        data["endpoints"][0]["changeset"],
        root.findtext("changeset"),
        root.findtext("endpoints/endpoint/changeset"),
    }
    assert len(changesets) == 1, changesets
    return changesets.pop()


def test_discovery_changeset_is_when_the_service_catalogue_last_changed(client, service):
    earlier = local(2026, 2, 1, 9, 0)

    def settle():
        Service.objects.update(updated_at=earlier)
        ServiceQuestion.objects.update(updated_at=earlier)

    settle()
    assert discovery_changesets(client) == w3(earlier)
    service.service_notice = "We reply within 2 working days."
    service.save()
    service.refresh_from_db()
    assert service.updated_at > earlier
    assert discovery_changesets(client) == w3(service.updated_at)

    settle()
    question = service.questions.get(code="METHOD")
    question.choices += "\nonline|Online"
    question.save()
    assert discovery_changesets(client) == w3(
        ServiceQuestion.objects.get(pk=question.pk).updated_at
    )

    settle()
    service.questions.get(code="DOCS").delete()
    assert discovery_changesets(client) > w3(earlier)


def test_discovery_changeset_of_an_empty_catalogue_is_the_api_version(client):
    assert discovery_changesets(client) == w3(API_CHANGED_AT)
