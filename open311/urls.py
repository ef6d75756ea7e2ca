"""Open311 GeoReport v2 at /open311/v2/: every resource with its format as the extension."""

from __future__ import annotations

from django.urls import re_path

from open311 import views

FMT = r"\.(?P<fmt>xml|json)"
CODE = r"(?P<code>[-a-zA-Z0-9_]{1,32})"

app_name = "open311"
urlpatterns = [
    re_path(rf"^v2/discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^v2/services{FMT}$", views.services, name="services"),
    re_path(rf"^v2/services/{CODE}{FMT}$", views.service_definition, name="service"),
    re_path(rf"^v2/requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^v2/requests/(?P<request_id>[-0-9A-Za-z]{{1,20}}){FMT}$", views.request_detail, name="request"),
    re_path(rf"^v2/tokens/(?P<token>[-_0-9A-Za-z]{{1,64}}){FMT}$", views.token_detail, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
