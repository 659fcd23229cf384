"""Every URL of the portal refuses NUL and other control characters with a 400, before any query.

The URL list comes from the resolver (as in test_access_matrix.py), so a new URL is swept without
anyone adding it here. Each is requested with a NUL in a path segment, in a query parameter's
value and name, and in a form field's value and name (multipart, form-encoded and JSON), by GET and
POST, anonymously and signed in. ``postgres_refuses_nul`` makes SQLite fail as PostgreSQL does
when a NUL reaches a query, so a view that queried first would answer 500 here on either database.
"""

import json
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter

NUL = "\x00"
SAMPLE = "sample"
SAMPLE_UUID = "12345678-1234-5678-1234-567812345678"
#: A route converter ``<int:pk>`` or a regex group ``(?P<fmt>xml|json)``.
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<route_name>\w+)>")
REGEX_GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?(?P<body>[^()?][^()]*)\)")


def every_route(patterns=None, prefix=""):
    """(full route text, URLPattern) for every pattern of the project, the admin's included."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from every_route(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _converter_sample(match, converters):
    converter = converters.get(match["route_name"])
    if isinstance(converter, IntConverter) or match["converter"] == "int":
        return "1"
    if isinstance(converter, UUIDConverter) or match["converter"] == "uuid":
        return SAMPLE_UUID
    return SAMPLE


def _group_sample(match):
    body = match["body"]
    if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body):  # alternatives: take the first
        return body.split("|")[0]
    if "0-9" in body or r"\d" in body:
        return "1"
    return SAMPLE


def sample_path(route, pattern):
    """A path this route matches, with sample values for its parameters."""
    converters = getattr(pattern.pattern, "converters", {})
    path = REGEX_GROUP.sub(_group_sample, route)  # first: a group's name looks like <name>
    path = ROUTE_PARAMETER.sub(lambda m: _converter_sample(m, converters), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def with_nul_in_path(path):
    """The path with an encoded NUL in a parameter's value, else inside its last segment."""
    if SAMPLE in path:
        return path.replace(SAMPLE, "sam%00ple", 1)
    segments = path.split("/")
    last = max(i for i, segment in enumerate(segments) if segment or i == 1)
    word = segments[last]
    segments[last] = f"{word[: len(word) // 2]}%00{word[len(word) // 2 :]}"
    return "/".join(segments)


def swept_paths():
    paths = {}
    for route, pattern in every_route():
        path = sample_path(route, pattern)
        paths[route] = path
    return paths


def test_every_route_has_a_sample_path_that_resolves():
    """Otherwise the sweep below would quietly request other pages than the one it names."""
    wrong = []
    for route, path in swept_paths().items():
        try:
            found = resolve(path).route
        except Exception as error:  # Resolver404, or a converter refusing the sample
            found = repr(error)
        if found.replace("^", "") != route.replace("^", ""):  # the resolver drops inner anchors
            wrong.append(f"{route} → {path} → {found}")
    assert wrong == [], "\n".join(wrong)


def nul_requests(path):
    """(description, method, url, body, content type) for each place a NUL can hide."""
    multipart = {"q": f"a{NUL}b", "title": "Fine"}
    form_encoded = "title=Fine&q=a%00b"
    return [
        ("NUL in a path segment (GET)", "get", with_nul_in_path(path), None, None),
        ("NUL in a path segment (POST)", "post", with_nul_in_path(path), {"title": "x"}, None),
        ("NUL in a query value", "get", f"{path}?page=1&q=a%00b", None, None),
        ("NUL in a query name", "get", f"{path}?q%00=1", None, None),
        ("NUL in a query value (POST)", "post", f"{path}?q=%00", {"title": "x"}, None),
        ("NUL in a multipart field", "post", path, multipart, None),
        ("NUL in a multipart field name", "post", path, {f"q{NUL}": "1"}, None),
        (
            "NUL in a form-encoded field",
            "post",
            path,
            form_encoded,
            "application/x-www-form-urlencoded",
        ),
        ("a control character in a field", "post", path, {"q": "a\x1bb"}, None),
        (
            "NUL in a JSON field",
            "post",
            path,
            json.dumps({"title": "Fine", "nested": {"q": f"a{NUL}"}}),
            "application/json",
        ),
    ]


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def ask(client, method, url, body, content_type):
    if method == "get":
        return client.get(url)
    if content_type:
        return client.post(url, body, content_type=content_type)
    return client.post(url, body)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "quality_manager", "administrator"])
def test_every_url_refuses_control_characters_with_400_and_writes_nothing(
    client, request, persona, postgres_refuses_nul
):
    client.raise_request_exception = False  # a 500 is listed with the rest, not raised
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    before = row_counts()
    wrong = []
    for route, path in sorted(swept_paths().items()):
        for what, method, url, body, content_type in nul_requests(path):
            response = ask(client, method, url, body, content_type)
            if response.status_code != 400:
                wrong.append(f"{route}: {what} ({url}) answered {response.status_code}")
            elif b"\x00" in response.content:
                wrong.append(f"{route}: {what} ({url}) echoed the NUL")
    assert wrong == [], "\n".join(wrong)
    assert row_counts() == before


@pytest.mark.django_db
def test_a_parameter_is_one_line_so_even_a_tab_is_refused(client):
    """Text areas keep tabs and line breaks (tests/services/test_control_characters.py); a path
    or a query parameter never needs them."""
    response = client.get("/services/track/", {"code": "AAAA\tBBBB"})
    assert response.status_code == 400
    assert b"control characters" in response.content


@pytest.mark.django_db
def test_a_session_cookie_with_nul_is_ignored_not_a_500(client, owner, postgres_refuses_nul):
    """A poisoned cookie never reaches the session query: the person is simply not signed in."""
    client.raise_request_exception = False
    client.cookies["sessionid"] = "abcdefghij\x00klmnopqrstuvwxyz012345"
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("home")).status_code == 302  # to sign in
    del client.cookies["sessionid"]  # (the test client reads its own cookie to force a login)
    client.force_login(owner)  # a real session afterwards works as ever
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_json_nested_too_deep_is_never_a_500(client, postgres_refuses_nul):
    client.raise_request_exception = False
    deep = "[" * 50_000 + "]" * 50_000
    answers = {
        url: client.post(url, deep, content_type="application/json").status_code
        for url in [reverse("open311:requests", args=["json"]), reverse("login"), "/no/such/page/"]
    }
    assert answers == {
        reverse("open311:requests", args=["json"]): 400,  # the API says the body is unreadable
        reverse("login"): 200,  # a form page: no fields sent, the form again
        "/no/such/page/": 404,
    }


@pytest.mark.django_db
def test_a_body_sent_to_no_page_is_not_read(client):
    """An address that matches no page is a 404 whatever its body: the body is not parsed."""
    body = {"q": f"a{NUL}b", "file": SimpleUploadedFile("a.txt", b"x" * 1024)}
    assert client.post("/no/such/page/", body).status_code == 404
