"""Open311 GeoReport v2 endpoints (thin: parse, call a query or the workflow, render).

Errors are Open311 error lists. Statuses follow the spec (404 not found, 403 bad api_key, 400 for
anything else the client must correct) with plain-HTTP additions clients handle generically: 405
for a method the resource does not take, 422 for an Idempotency-Key sent again with another body,
and 429 when a client address has used up a rate limit (the same limits, and the same 429, as the
public pages).
"""

import functools
import re
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from qms_portal.errors import message_of
from qms_portal.organisation.models import Agency
from qms_portal.security import RefusedInput

from . import intake, open311, throttle, workflow
from .models import (
    ApiKey,
    Service,
    ServiceQuestion,
    ServiceRequest,
    catalogue_changed_at,
    normalise_tracking_code,
)
from .open311 import Open311Error, render

#: Open311: "Default query limit is a span of 90 days or first 1000 requests returned".
DEFAULT_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:~+/=-]{1,100}")


#: URL segments by their Open311 names, for error messages.
PATH_NAMES = {"code": "service_code", "pk": "service_request_id", "token": "token"}


def control_character_refusal(request, refused, kwargs):
    """The portal's refusal of control characters (qms_portal.security), as an Open311 error list
    that names the Open311 field, in the format the path asks for."""
    fmt = kwargs.get("fmt") or ("json" if request.path_info.endswith(".json") else "xml")
    name = PATH_NAMES.get(refused.name, refused.name) if refused.place == "path" else refused.name
    message = RefusedInput(refused.place, name).message()
    return open311.render_errors([(400, message)], fmt, 400)


def endpoint(*methods):
    """Allow ``methods``; turn Open311Error into an error list in the requested format."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, fmt="xml", **kwargs):
            try:
                if request.method not in methods:
                    raise Open311Error(
                        405,
                        _("Use %(methods)s for this resource.") % {"methods": " or ".join(methods)},
                    )
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return open311.render_errors(error.errors, fmt, error.status)

        wrapper.control_character_refusal = control_character_refusal
        return csrf_exempt(wrapper)

    return decorator


def _jurisdiction(request, params=None):
    """The agency named by jurisdiction_id, if given (404 when unknown); None means all."""
    value = ((params or request.GET).get("jurisdiction_id") or "").strip()
    if not value:
        return None
    agency = Agency.objects.filter(code__iexact=value).first()
    if agency is None:
        raise Open311Error(
            404, _("jurisdiction_id “%(value)s” was not found.") % {"value": value[:40]}
        )
    return agency


def _public_services(agency):
    services = Service.objects.public().annotate(
        has_questions=Exists(ServiceQuestion.objects.filter(service=OuterRef("pk")))
    )
    return services.filter(agency=agency) if agency else services


def _changeset():
    """The later of the API's last change of behaviour and the catalogue's last change."""
    moments = [open311.API_CHANGED_AT, catalogue_changed_at()]
    return open311.w3(max(moment for moment in moments if moment))


@endpoint("GET")
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    changeset = _changeset()
    data = {
        "changeset": changeset,
        "contact": _("Questions about this API: the agency's quality office, via %(url)s")
        % {"url": request.build_absolute_uri("/")},
        "key_service": _("API keys for creating requests are issued by the portal administrators."),
        "endpoints": [
            {
                "specification": open311.SPECIFICATION,
                "url": base.rsplit("/", 1)[0],
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, "discovery")


@endpoint("GET")
def service_list(request, fmt):
    services = _public_services(_jurisdiction(request)).order_by("code")
    return render([open311.service_fields(s) for s in services], fmt, "services")


@endpoint("GET")
def service_definition(request, code, fmt):
    agency = _jurisdiction(request)
    service = (
        _public_services(agency)
        .prefetch_related(Prefetch("questions", queryset=ServiceQuestion.objects.order_by("order")))
        .filter(code=code)
        .first()
    )
    if service is None:
        raise Open311Error(404, _("service_code “%(code)s” was not found.") % {"code": code[:40]})
    data = {
        "service_code": service.code,
        "attributes": [open311.attribute_fields(q) for q in service.questions.all()],
    }
    return render(data, fmt, "service_definition")


@endpoint("GET", "POST")
def requests_resource(request, fmt):
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


def _split(value):
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _requests_query(agency):
    requests = ServiceRequest.objects.published().select_related("service", "department")
    return requests.filter(service__agency=agency) if agency else requests


def _list_requests(request, fmt):
    params = request.GET
    requests = _requests_query(_jurisdiction(request))
    ids = _split(params.get("service_request_id"))
    if ids:  # "This overrides all other arguments."
        if (
            not all(i.isascii() and i.isdigit() and len(i) < 19 for i in ids)
            or len(ids) > MAX_REQUESTS
        ):  # "²".isdigit() is true, but int("²") fails
            raise Open311Error(
                400, _("service_request_id must be request numbers, comma separated.")
            )
        requests = requests.filter(pk__in=[int(i) for i in ids])
    else:
        requests = _filtered(requests, params)
    requests = requests.order_by("-submitted_at", "-pk")[:MAX_REQUESTS]
    return render([open311.request_fields(r) for r in requests], fmt, "service_requests")


def _filtered(requests, params):
    codes = _split(params.get("service_code"))
    if codes:
        known = set(Service.objects.public().filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Open311Error(
                404, _("service_code “%(code)s” was not found.") % {"code": unknown[0][:40]}
            )
        requests = requests.filter(service__code__in=codes)
    start, end = params.get("start_date", "").strip(), params.get("end_date", "").strip()
    start = open311.parse_w3(start, "start_date") if start else None
    end = open311.parse_w3(end, "end_date") if end else None
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > DEFAULT_SPAN:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    elif start:
        end = start + DEFAULT_SPAN
    elif end:
        start = end - DEFAULT_SPAN
    else:
        end = timezone.now()
        start = end - DEFAULT_SPAN
    requests = requests.filter(submitted_at__gte=start, submitted_at__lte=end)
    statuses = _split(params.get("status"))
    if statuses:
        if not set(statuses) <= {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed or both (comma separated)."))
        if statuses == ["open"] or set(statuses) == {"open"}:
            requests = requests.filter(status__in=ServiceRequest.OPEN_STATUSES)
        elif set(statuses) == {"closed"}:
            requests = requests.filter(status__in=ServiceRequest.DONE_STATUSES)
    return requests


def _create_request(request, fmt):
    if throttle.is_blocked("submit", request):
        raise Open311Error(429, _("Too many requests from your address; try again in an hour."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > open311.MAX_BODY:
        raise Open311Error(400, _("The request body is larger than 64 KB."))
    try:
        data, answers = open311.parse_body(request)
    except (RequestDataTooBig, TooManyFieldsSent):
        raise Open311Error(400, _("The request body is larger than 64 KB.")) from None
    try:  # before api_key, jurisdiction_id or service_code reach a query
        intake.check_fields(data, answers)
    except intake.SubmissionError as error:
        return open311.render_errors([(400, m) for _f, m in error.errors], fmt, 400)
    api_key = ApiKey.objects.filter(key=(data.get("api_key") or "")[:64], is_active=True).first()
    if api_key is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    agency = _jurisdiction(request, data)
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    service = (
        _public_services(agency)
        .select_related("agency", "department")
        .prefetch_related("questions")
        .filter(code=code)
        .first()
    )
    if service is None:
        raise Open311Error(404, _("service_code “%(code)s” was not found.") % {"code": code[:40]})
    once = _idempotency(request, api_key)
    throttle.count("submit", request)
    try:
        submission = intake.clean_submission(
            questions=list(service.questions.all()),
            data={
                **data,
                "address": data.get("address_string"),
                "citizen_email": data.get("email"),
                "citizen_phone": data.get("phone"),
                "citizen_name": " ".join(
                    p for p in (data.get("first_name"), data.get("last_name")) if p
                ),
            },
            raw_answers=answers,
            require_location=True,
        )
        created = workflow.submit_request(
            service=service,
            submission=submission,
            channel=ServiceRequest.Channel.OPEN311,
            api_key=api_key,
            once=once,
        )
    except intake.SubmissionError as error:
        errors = [(400, message) for _field, message in error.errors]
        return open311.render_errors(errors, fmt, 400)
    except workflow.SubmissionKeyReused as error:
        raise Open311Error(422, message_of(error)) from None
    except (workflow.RequestError, ValidationError) as error:
        raise Open311Error(400, message_of(error)) from None
    result = {
        "service_notice": service.service_notice or None,
        "account_id": created.account_id or None,
    }
    if service.open311_type == Service.Open311Type.BATCH:
        result = {"token": created.tracking_code, **result}
    else:
        result = {"service_request_id": created.pk, **result}
    return render([result], fmt, "service_requests")


def _idempotency(request, api_key):
    """The Idempotency-Key header (IETF draft-ietf-httpapi-idempotency-key-header), per api_key.

    A POST sent again with the same key and body answers as the first did; the same key with
    another body is a 422.
    """
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] == '"':  # a structured-field string
        value = value[1:-1]
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise Open311Error(
            400,
            _("Idempotency-Key must be 1 to 100 letters, digits or the characters - _ . : ~ + / ="),
        )
    return workflow.SubmissionOnce(f"open311:{api_key.pk}", value)


@endpoint("GET")
def request_detail(request, pk, fmt):
    found = _requests_query(_jurisdiction(request)).filter(pk=pk).first() if len(pk) < 19 else None
    if found is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.") % {"id": pk[:20]})
    return render([open311.request_fields(found)], fmt, "service_requests")


@endpoint("GET")
def token(request, token, fmt):
    """A batch request's id by its token (its tracking code). Unknown tokens count against the
    client address under the same limit as the public tracking page, so guessing is no easier here."""
    if throttle.is_blocked("track", request):
        raise Open311Error(
            429, _("Too many unknown tokens from your address; try again in an hour.")
        )
    code = normalise_tracking_code(token)
    found = (
        _requests_query(_jurisdiction(request)).filter(tracking_code=code).first() if code else None
    )
    if found is None:
        throttle.count("track", request)
        raise Open311Error(404, _("token %(token)s was not found.") % {"token": token[:40]})
    return render([{"service_request_id": found.pk, "token": code}], fmt, "service_requests")


def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"
    return open311.render_errors(
        [(404, _("No such Open311 resource: /%(path)s") % {"path": path[:80]})], fmt, 404
    )


not_found.control_character_refusal = control_character_refusal
