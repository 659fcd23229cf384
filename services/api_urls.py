"""Open311 GeoReport v2 under /open311/v2/: every resource in XML and JSON."""

from django.urls import re_path

from . import api

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, api.discovery, name="discovery"),
    re_path(r"^services" + FMT, api.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+)" + FMT, api.service_definition, name="service"),
    re_path(r"^requests" + FMT, api.requests_resource, name="requests"),
    re_path(r"^requests/(?P<pk>[0-9]+)" + FMT, api.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FMT, api.token, name="token"),
    re_path(r"^(?P<path>.*)$", api.not_found),
]
