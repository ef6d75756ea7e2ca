"""What every REST endpoint shares: the error format and the schema rules (pagination is in
`liaison.pagination`).

Every error leaves the API as JSON `{"code": ..., "message": ..., "fields": {...}}`:
the domain's `WorkflowError` with its own code and status, DRF's validation errors as
400 "validation" with the messages per field, and Django's own 404/500 pages under
/api/ rewritten by `ApiErrorMiddleware`, so a client never has to parse HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from suggestions.errors import WorkflowError

API_PREFIX = "/api/"
OPEN311_PREFIX = "/open311/"


# --- The error body ------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    """The body of every error response.

    `code` is stable and meant for programs (for example `invalid_state`, `stale_version`,
    `validation`, `not_found`); `message` is for people, in the request's language;
    `fields` maps an input field (dotted for nested input, e.g. `suggestions.1.title`)
    to its messages and is empty when the error is not about one field.
    """

    # A field named "fields" would shadow Serializer.fields, so the fields are built here.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "code": serializers.CharField(help_text="Machine-readable error code."),
            "message": serializers.CharField(help_text="Human-readable message in the request's language."),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Messages per input field; empty when the error concerns no single field.",
            ),
        }


class CodeRelatedField(serializers.SlugRelatedField[Any]):
    """A related object named by a code (region, category, unit). Text PostgreSQL cannot store
    (a NUL character) is invalid input, not a database error."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def blank_choice_field(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A read-only choice that may also be "" (not chosen yet), so the schema says so."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True, **kwargs)


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": dict(fields or {})}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"dotted.field": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            out.update(flatten_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name))
    elif isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        for index, value in enumerate(detail):
            if value:
                out.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _first_message(fields: Mapping[str, list[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            return f"{name}: {messages[0]}" if name != "non_field_errors" else messages[0]
    return _("The input is not valid.")


def _anonymous_throttled(context: Mapping[str, Any]) -> exceptions.Throttled | None:
    """DRF checks throttles only after the caller passed authentication and permission checks,
    so anonymous callers and wrong tokens would never be slowed down; count them here, per
    client address, against the anonymous rate."""
    request = context.get("request")
    if request is None:
        return None
    throttle = AnonRateThrottle()
    if throttle.allow_request(request, context.get("view")):  # type: ignore[arg-type]
        return None
    return exceptions.Throttled(wait=throttle.wait())


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every refusal as JSON with a code; unexpected errors stay 500s."""
    headers: dict[str, str] = {}
    if isinstance(exc, WorkflowError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django logs it and ApiErrorMiddleware answers with JSON

    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        body = error_body("validation", _first_message(fields), fields)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        throttled = _anonymous_throttled(context)
        if throttled is not None:
            return api_exception_handler(throttled, context)
        code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
        message = (
            _("Sign in or send a valid API token.")
            if code == "not_authenticated"
            else _("The credentials sent are not valid.")
        )
        body = error_body(code, message)
    elif isinstance(exc, exceptions.PermissionDenied):
        body = error_body("not_allowed", _("You may not do this."))
    elif isinstance(exc, exceptions.NotFound):
        body = error_body("not_found", _("Not found, or not within your scope."))
    elif isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
        body = error_body("throttled", _("Too many requests. Please wait a moment and try again."))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        body = error_body("method_not_allowed", _("This method is not allowed here."))
    elif isinstance(exc, exceptions.NotAcceptable):
        body = error_body("not_acceptable", _("This response format is not available."))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        body = error_body("unsupported_media_type", _("Send JSON, a form or multipart data."))
    elif isinstance(exc, exceptions.ParseError):
        body = error_body("parse_error", _("The request body could not be read."))
    else:
        body = error_body(str(exc.default_code), str(exc.detail))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return Response(body, status=exc.status_code, headers=headers)


# --- Schema --------------------------------------------------------------------------

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `code` is `validation` (messages per field in `fields`) or a specific refusal code.",
    "401": "Not signed in, or the token is not valid (`not_authenticated`, `authentication_failed`).",
    "403": "Your role may not do this (`not_allowed`).",
    "404": "Not found, or not within your scope (`not_found`).",
    "409": "Conflict: the suggestion is not in a state that allows this (`invalid_state` or a specific code), "
    "or it changed since you read it (`stale_version`).",
    "415": "The body is not JSON, a form or multipart data, or cannot be read as such (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); see the Retry-After header.",
}


def error_response(status_code: int, description: str | None = None) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description or _ERROR_DESCRIPTIONS[str(status_code)])


class LiaisonAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses every endpoint can give.

    Each operation documents 400, 401, 403 and 429; those with a path parameter also 404, those
    with a body also 415.
    Explicit `extend_schema(responses=...)` entries win over these defaults.
    """

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in {"POST", "PUT", "PATCH"}:
            codes.append("415")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(int(code)), code, media_types=("application/json",), direction=direction
                )
        return dict(sorted(responses.items()))


# --- Django's own error pages under /api/ ----------------------------------------------


class ApiErrorMiddleware:
    """Turn Django's HTML error pages under /api/ (unknown URL, server error, CSRF) into JSON.

    DRF views answer in JSON already; this covers what happens outside them: a URL no
    route matches, an exception Django turned into its 500 page, a response from other
    middleware. Under /open311/ the same cases answer in GeoReport v2's error format.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if request.path.startswith(API_PREFIX) and not content_type.startswith("application/json"):
            return api_error_response(response.status_code)
        if request.path.startswith(OPEN311_PREFIX) and content_type.startswith("text/html"):
            from open311.formats import format_of_path, render_errors

            return render_errors(
                format_of_path(request.path),
                response.status_code,
                [(response.status_code, api_error_response(response.status_code).message)],
            )
        return response


class ErrorJsonResponse(JsonResponse):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(error_body(code, message), status=status)
        self.message = message


def api_error_response(status_code: int) -> ErrorJsonResponse:
    codes: Sequence[tuple[int, str, str]] = (
        (status.HTTP_400_BAD_REQUEST, "bad_request", _("The request could not be understood.")),
        (status.HTTP_403_FORBIDDEN, "not_allowed", _("You may not do this.")),
        (status.HTTP_404_NOT_FOUND, "not_found", _("Not found, or not within your scope.")),
        (status.HTTP_405_METHOD_NOT_ALLOWED, "method_not_allowed", _("This method is not allowed here.")),
    )
    for candidate, code, message in codes:
        if candidate == status_code:
            return ErrorJsonResponse(code, message, status_code)
    if status_code >= 500:
        return ErrorJsonResponse(
            "server_error", _("Something went wrong on our side. Please try again later."), status_code
        )
    return ErrorJsonResponse("error", _("The request failed."), status_code)
