"""The project's URLs plus two views that fail, to see what a client gets from a server error."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from liaison.urls import urlpatterns as project_urlpatterns


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a plain Django view")


class RestBoom(APIView):
    permission_classes: list[type] = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug in a REST view")


urlpatterns = [
    path("api/v1/_boom/plain/", plain_boom),
    path("api/v1/_boom/rest/", RestBoom.as_view()),
    path("open311/v2/_boom.json", plain_boom),
    *project_urlpatterns,
]
