"""Floor views for the benchmark suite: the cost of the cheapest Django requests on this machine.

Routed only when the setting BENCH_ENDPOINTS is on (see liaison/urls.py); production leaves it
off. Both go through the full middleware stack, so every scenario can be read as a ratio to them.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from suggestions.models import Suggestion


@never_cache
def trivial(request: HttpRequest) -> HttpResponse:
    """No database, no template: the middleware stack and the WSGI round trip."""
    return HttpResponse(b"ok", content_type="text/plain")


@never_cache
def one_query(request: HttpRequest, pk: int) -> JsonResponse:
    """Exactly one primary-key query on the suggestions table (no personal data in the answer)."""
    row = Suggestion.objects.filter(pk=pk).values("id", "state").first()
    if row is None:
        raise Http404
    return JsonResponse(row)
