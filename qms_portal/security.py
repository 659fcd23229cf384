"""Security headers every response carries, the idle-session timeout, and the refusal of control
characters in what a request sends.

The Content Security Policy allows scripts only from the portal itself (no inline scripts, no
CDN): pages work offline and an injected <script> does not run.
"""

import json
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style attributes in server-rendered SVG charts
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class IdleTimeoutMiddleware:
    """Sign out a person who has done nothing for SESSION_IDLE_TIMEOUT seconds.

    The last activity is stored in the session at most once a minute, so ordinary browsing does
    not write the session on every request.
    """

    KEY = "_last_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY, now)
            if now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.warning(request, _("You were signed out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            if now - last >= 60 or self.KEY not in request.session:
                request.session[self.KEY] = now
        return self.get_response(request)


#: Control characters and lone surrogates. PostgreSQL refuses NUL (psycopg raises DataError, a 500)
#: and cannot encode a surrogate; no person types the others. Text a person writes in a text area
#: may keep tab and line breaks; a path, a parameter or a field name never holds any of them.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_control_characters(value, *, multiline=False):
    """True when ``value`` holds NUL, another control character or a lone surrogate.

    ``multiline`` text (descriptions, notes, answers) may contain tabs and line breaks.
    """
    pattern = _CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE
    return bool(pattern.search(str(value)))


@dataclass(frozen=True)
class RefusedInput:
    """Where a request carried control characters: ``place`` is path, query or body; ``name`` the
    path segment, parameter or field ("" when a name itself holds them)."""

    place: str
    name: str

    def message(self):
        if not self.name:
            return _("A field or parameter name contains control characters (such as NUL).")
        if self.place == "path" and self.name == "path":
            return _("The address of the page contains control characters (such as NUL).")
        return _(
            "%(field)s contains control characters (such as NUL); remove them and send it again."
        ) % {"field": self.name}


def _path_refusal(request):
    path = request.path_info
    if not has_control_characters(path):
        return None
    try:
        kwargs = resolve(path).kwargs
    except Resolver404:
        kwargs = {}
    named = [name for name, value in kwargs.items() if has_control_characters(value)]
    return RefusedInput("path", named[0] if named else "path")


def _pairs_refusal(place, pairs, *, multiline):
    for name, values in pairs:
        if has_control_characters(name):
            return RefusedInput(place, "")
        if any(has_control_characters(value, multiline=multiline) for value in values):
            return RefusedInput(place, name)
    return None


def _json_pairs(value, name=""):
    """(field name, [text]) for every string in a JSON document; nested keys as a[b]."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _json_pairs(inner, f"{name}[{key}]" if name else str(key))
    elif isinstance(value, list):
        for inner in value:
            yield from _json_pairs(inner, name)
    elif isinstance(value, str):
        yield name, [value]


def _json_names_refusal(value):
    """A JSON key with control characters, anywhere in the document."""
    if isinstance(value, dict):
        if any(has_control_characters(key) for key in value):
            return RefusedInput("body", "")
        value = list(value.values())
    if isinstance(value, list):
        return next(filter(None, map(_json_names_refusal, value)), None)
    return None


def _left_unread(request):
    """True when no view reads this body: the address matches no page (a 404 follows), or the
    view refuses the body as too large before reading it (its ``max_request_body()``). It is not
    read here either, so nobody makes the portal parse a large body for nothing."""
    try:
        limit = getattr(resolve(request.path_info).func, "max_request_body", None)
    except Resolver404:
        return True
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit()


def _body_refusal(request):
    """Form fields (multipart text fields too, never file contents) and JSON strings.

    A body Django cannot parse is left to the view, which answers it as before (a form-encoded
    body is parsed again there); a multipart body over the limits is a 400 from Django here.
    """
    content_type = request.content_type or ""
    if _left_unread(request):
        return None
    if request.method == "POST" and content_type in _FORM_TYPES:
        try:
            fields = list(request.POST.lists())
        except MultiPartParserError:
            return None  # Django marked the body unreadable: the view sees an empty form
        except SuspiciousOperation:
            if content_type == "multipart/form-data":
                raise  # the stream is spent: Django's own 400
            return None
        return _pairs_refusal("body", fields, multiline=True)
    if content_type == "application/json":
        try:
            document = json.loads(request.body.decode("utf-8"))
        except (SuspiciousOperation, ValueError, RecursionError):
            return None  # too large, not UTF-8, malformed or nested too deep: the view says so
        refusal = _json_names_refusal(document)
        return refusal or _pairs_refusal("body", _json_pairs(document), multiline=True)
    return None


def _drop_cookies_with_control_characters(request):
    """A cookie holding control characters is no cookie the portal set: it is ignored (the
    session key would otherwise reach the session query, a 500 on PostgreSQL), not refused, so a
    poisoned cookie cannot shut a person out."""
    poisoned = [
        name
        for name, value in request.COOKIES.items()
        if has_control_characters(name) or has_control_characters(value)
    ]
    for name in poisoned:
        del request.COOKIES[name]


def find_control_characters(request):
    """The first place where the request carries control characters, or None."""
    return (
        _path_refusal(request)
        or _pairs_refusal("query", request.GET.lists(), multiline=False)
        or _body_refusal(request)
    )


def control_character_page(request, refused):
    """The plain 400 page (the sign-in, session and menu are not loaded yet, and need not be)."""
    body = format_html(
        '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>'
        "<body><main><h1>{}</h1><p>{}</p><p>{}</p></main></body></html>",
        translation.get_language(),
        _("Request refused"),
        _("Request refused"),
        refused.message(),
        _("Go back, remove the characters and send it again."),
    )
    return HttpResponse(body, status=400, content_type="text/html; charset=utf-8")


class ControlCharacterMiddleware:
    """400 for NUL and other control characters in the path, a query parameter or a form or JSON
    field, before any view, session or query runs: one rule for every URL.

    PostgreSQL refuses NUL in text (a 500 from deep inside a view); nobody types the others. A
    view may answer in its own format by carrying ``control_character_refusal(request, refused,
    kwargs)`` (the Open311 API answers with an Open311 error list).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _drop_cookies_with_control_characters(request)
        refused = find_control_characters(request)
        if refused is None:
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            return self.refusal(request, refused)

    @staticmethod
    def refusal(request, refused):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        respond = getattr(match.func, "control_character_refusal", None) if match else None
        if respond is not None:
            return respond(request, refused, match.kwargs)
        return control_character_page(request, refused)
