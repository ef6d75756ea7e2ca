"""The health endpoint: JSON, 200 when every check passes, 503 otherwise (README, Operations)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from health import checks


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    results = checks.run()
    ok = all(result.ok for result in results.values())
    body = {"status": "ok" if ok else "error", "checks": {name: r.as_dict() for name, r in results.items()}}
    return JsonResponse(body, status=200 if ok else 503)
