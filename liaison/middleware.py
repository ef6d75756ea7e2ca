"""Site-wide middleware: Chinese first (the language is Simplified Chinese unless the user
picked another one), NUL characters refused before they reach PostgreSQL, and no caching of
pages for signed-in users."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language.

    A People's Congress portal speaks Chinese to everyone by default, also to a browser that
    happens to be set to English; English is a choice made with the switch (a cookie).
    """

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(request_language(request))
        request.LANGUAGE_CODE = translation.get_language()


def request_language(request: HttpRequest) -> str:
    """The language switch's choice (a cookie), or Chinese."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else str(settings.LANGUAGE_CODE)


NUL = "\x00"


class RejectNulMiddleware:
    """A NUL character anywhere in a request's path, parameters, form fields or headers answers
    400 before any view or query runs: PostgreSQL cannot store or compare text holding one, and
    every filter, search box, cursor and form would otherwise turn it into a 500. No browser
    sends one; a client that does gets the Chinese error page, JSON with a code under /api/, or
    GeoReport's error format under /open311/. A cookie holding one is dropped, as if not sent
    (the session and CSRF cookies are looked up in the database or compared).

    Bodies under /api/ and /open311/ are left to them: the API's serializers refuse NUL in text,
    Open311 refuses it in its parameters.
    Integers past bigint need nothing here: Django answers "no match" for them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_in(request)
        if where is not None:
            with translation.override(request_language(request)):
                return self._refuse(request, where)
        if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
            request.COOKIES = {k: v for k, v in request.COOKIES.items() if NUL not in k and NUL not in v}
        return self.get_response(request)

    @staticmethod
    def _nul_in(request: HttpRequest) -> str | None:
        """The parameter holding a NUL ("" for the path or a header), or None."""
        if NUL in request.path_info:
            return ""
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and NUL in value:
                return ""
        queries = [request.GET]
        content_type = request.content_type or ""
        # The API and Open311 read their own bodies (and answer a body they cannot read in their
        # own format); pages' forms are read here as CSRF's check would read them next.
        if (
            request.method == "POST"
            and content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}
            and not request.path.startswith(("/api/", "/open311/"))
        ):
            queries.append(request.POST)
        for query in queries:
            for key, values in query.lists():
                if NUL in key:
                    return key.replace(NUL, "")
                if any(NUL in value for value in values):
                    return key
        return None

    @staticmethod
    def _refuse(request: HttpRequest, where: str) -> HttpResponse:
        from liaison.errors import error_response
        from liaison.rest import API_PREFIX, OPEN311_PREFIX, ErrorJsonResponse, error_body

        message = _("Parameters may not contain NUL characters.")
        if request.path.startswith(API_PREFIX):
            if where:
                body = error_body("validation", f"{where}: {message}", {where: [message]})
                return JsonResponse(body, status=400)
            return ErrorJsonResponse("bad_request", message, 400)
        if request.path.startswith(OPEN311_PREFIX):
            from open311.formats import format_of_path, render_errors

            return render_errors(format_of_path(request.path), 400, [(400, message)])
        # No context processors: the request has no session or user yet.
        return error_response(request, 400, with_request=False)


class SignedInNoStoreMiddleware:
    """Pages for a signed-in user are never kept by the browser or a proxy: Back after an
    action shows the current state, not a stale list with forms that would now be refused,
    and no personal data stays in a shared computer's cache. Responses that set their own
    Cache-Control (downloads, the API's) keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
