"""The project's URLs and error handlers plus pages that fail, on the staff and the voter site."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from liaison.urls import handler400, handler403, handler404, handler500
from liaison.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a request no browser sends")


urlpatterns = [
    path("_boom/", boom),
    path("_boom/forbidden/", forbidden),
    path("_boom/suspicious/", suspicious),
    path("s/_boom/", boom),
    path("s/_boom/forbidden/", forbidden),
    path("s/_boom/suspicious/", suspicious),
    path("api/v1/_boom/plain/", boom),
    path("api/v1/_boom/forbidden/", forbidden),
    *project_urlpatterns,
]
