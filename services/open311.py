"""Open311 GeoReport v2 wire format: responses in XML and JSON, parsing of what clients send.

XML is schemaless, without a namespace, preceded by the UTF-8 declaration; JSON maps it by the
Spark convention (a list element becomes an array). Dates are W3C date-times with an offset.
"""

import datetime
import json
import xml.etree.ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API's behaviour last changed; discovery's changeset is this or the catalogue's last
#: change, whichever is later.
API_CHANGED_AT = datetime.datetime.fromisoformat("2026-01-01T00:00:00+08:00")
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
#: In XML a list is a wrapper element holding one element per item.
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
MAX_BODY = 64 * 1024  # a POST request is a few form fields; anything larger is refused
# A due date means "by the end of that working day".
END_OF_WORKING_DAY = datetime.time(18, 0)


class Open311Error(Exception):
    """An error to send as an Open311 error list with the given HTTP status."""

    def __init__(self, status, description, code=None):
        super().__init__(description)
        self.status = status
        self.errors = [(code or status, str(description))]


def w3(value):
    """A W3C date-time with the local offset, e.g. 2026-03-31T09:15:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def expected(due_date):
    moment = datetime.datetime.combine(due_date, END_OF_WORKING_DAY)
    return w3(timezone.make_aware(moment))


def parse_w3(value, name):
    """A W3C date or date-time (with Z or an offset); a date alone means local midnight."""
    text = value.strip()
    if len(text) > 10 and text[-6] == " ":  # an unencoded "+08:00" arrives as " 08:00"
        text = f"{text[:-6]}+{text[-5:]}"
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400,
            _("%(name)s must be a W3C date-time such as 2026-01-01T00:00:00Z, not “%(value)s”.")
            % {"name": name, "value": value[:40]},
        ) from None
    if moment.tzinfo is None:
        raise Open311Error(
            400,
            _("%(name)s must include a time zone (Z or an offset such as +08:00).")
            % {"name": name},
        )
    return moment


# Rendering --------------------------------------------------------------------------------------


def _scalar(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_xml(parent, tag, value):
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _to_xml(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _to_xml(element, ITEM_TAGS.get(tag, "item"), item)
    else:
        element.text = _scalar(value)


def render(data, fmt, root, status=200):
    """Respond with ``data`` (a dict or a list) in XML or JSON."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        if isinstance(data, list):
            for item in data:
                _to_xml(element, ITEM_TAGS[root], item)
        else:
            for key, item in data.items():
                _to_xml(element, key, item)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode("utf-8"), content_type=FORMATS[fmt], status=status)


def render_errors(errors, fmt, status):
    data = [{"code": code, "description": description} for code, description in errors]
    return render(data, fmt, "errors", status=status)


# Parsing what clients POST ----------------------------------------------------------------------


def _attribute_key(key):
    """ "attribute[CODE]" or "attribute[CODE][]" → "CODE"; anything else → None."""
    if not key.startswith("attribute[") or "]" not in key:
        return None
    return key[len("attribute[") : key.index("]")]


def split_fields(pairs):
    """(data, answers) from (key, [values]) pairs: plain fields and attribute[code] answers."""
    data, answers = {}, {}
    for key, values in pairs:
        code = _attribute_key(key)
        if code is not None:
            answers.setdefault(code, []).extend(values)
        elif values:
            data[key] = values[-1]
    return data, answers


def parse_body(request):
    """The POSTed fields as (data, answers), from form encoding (the spec), JSON or XML."""
    content_type = request.content_type or ""
    try:
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
            return split_fields(request.POST.lists())
        if content_type == "application/json":
            return _parse_json(request.body)
        if content_type in ("text/xml", "application/xml"):
            return _parse_xml(request.body)
    except UnicodeDecodeError:
        raise Open311Error(400, _("The request body must be UTF-8.")) from None
    raise Open311Error(
        400,
        _("Send the request as application/x-www-form-urlencoded (or JSON or XML), not %(type)s.")
        % {"type": content_type[:60]},
    )


def _values(value):
    if isinstance(value, list):
        return [_scalar(v) or "" for v in value if not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return []
    return [_scalar(value) or ""]


def _parse_json(body):
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # malformed, not UTF-8, or nested too deep to read
        raise Open311Error(400, _("The JSON body could not be read: it is malformed.")) from None
    if not isinstance(payload, dict):
        raise Open311Error(400, _("The JSON body must be an object of request fields."))
    pairs = []
    for key, value in payload.items():
        if key == "attribute" and isinstance(value, dict):
            pairs.extend((f"attribute[{code}]", _values(v)) for code, v in value.items())
        else:
            pairs.append((str(key), _values(value)))
    return split_fields(pairs)


def _parse_xml(body):
    text = body.decode("utf-8")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise Open311Error(400, _("XML with a DOCTYPE or entities is not accepted."))
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise Open311Error(400, _("The XML body could not be read: it is malformed.")) from None
    pairs = []
    for child in root:
        if child.tag == "attribute":
            code = child.get("code") or (child.findtext("code") or "").strip()
            values = [v.text or "" for v in child.findall("value")] or [child.text or ""]
            pairs.append((f"attribute[{code}]", [v.strip() for v in values]))
        else:
            pairs.append((child.tag, [(child.text or "").strip()]))
    return split_fields(pairs)


# Resources --------------------------------------------------------------------------------------


def service_fields(service):
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description or None,
        "metadata": bool(service.has_questions),
        "type": service.open311_type,
        "keywords": service.keywords or None,
        "group": service.group or None,
    }


def attribute_fields(question):
    fields = {
        "variable": True,
        "code": question.code,
        "datatype": question.kind,
        "required": question.required,
        "datatype_description": _("A date such as 2026-03-31")
        if question.kind == question.Kind.DATE
        else None,
        "order": question.order,
        "description": question.text,
    }
    if question.is_choice:
        fields["values"] = [{"key": key, "name": name} for key, name in question.choice_list]
    return fields


def _updated(request):
    """Open311: "For requests with status=closed, this will be the date the request was closed" --
    so later public updates do not move it; an open request's last public change otherwise."""
    if not request.is_open:
        return request.finished_at or request.updated_at
    return request.updated_at


def request_fields(request):
    """A request as Open311 shows it: never the citizen's name, e-mail or phone."""
    return {
        "service_request_id": request.pk,
        "status": request.open311_status,
        "status_notes": request.public_note or None,
        "service_name": request.service.name,
        "service_code": request.service.code,
        "description": request.description or None,
        "agency_responsible": request.department.name,
        "service_notice": request.service.service_notice or None,
        "requested_datetime": w3(request.submitted_at),
        "updated_datetime": w3(_updated(request)),
        "expected_datetime": expected(request.due_date),
        "address": request.address or None,
        "address_id": request.address_id or None,
        "zipcode": request.zipcode or None,
        "lat": float(request.lat) if request.lat is not None else None,
        "long": float(request.long) if request.long is not None else None,
        "media_url": request.media_url or None,
    }
