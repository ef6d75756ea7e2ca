"""Health probes answered before Django's host check and HTTPS redirect.

A container health check or load balancer asks http://<address>:8000/healthz, with a Host
header that is no name in ALLOWED_HOSTS and over plain HTTP: answered here, the probe does
not get a 400 (DisallowedHost) or a redirect. Only GET of these exact paths is served so.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            if request.path == "/healthz":
                from liaison.views import healthz

                return healthz(request)
            if request.path == "/health/":
                from health.views import health

                return health(request)
        return self.get_response(request)
