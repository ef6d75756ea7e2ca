"""The portal's own error pages: Chinese, inside the layout of the site the visitor was on.

The voter site (/s/) gets its layout, everything else the staff layout, each with a way back.
Under /api/ and /open311/ `liaison.rest.ApiErrorMiddleware` turns these pages into the
client's error format, so API clients keep their JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

VOTER_PREFIX = "/s/"


@dataclass(frozen=True)
class ErrorText:
    title: str | Promise
    message: str | Promise


TEXTS = {
    400: ErrorText(
        _("The request could not be understood"),
        _(
            "The address or the form holds characters or values the portal cannot accept. "
            "Please check what you entered and try again."
        ),
    ),
    403: ErrorText(_("You may not open this page"), _("Your role does not cover this page or record.")),
    404: ErrorText(
        _("Page not found"),
        _(
            "The link may be incomplete or out of date. If you opened it from a text message, "
            "make sure the whole link was opened, or start again from the home page."
        ),
    ),
    500: ErrorText(
        _("Something went wrong on our side"),
        _("The problem has been recorded. Please try again later."),
    ),
}
CSRF_TEXT = ErrorText(
    _("This page has expired"),
    _("For your safety a form can be sent only from a fresh page. Go back, reload the page and send it again."),
)


def is_voter_path(path: str) -> bool:
    return path.startswith(VOTER_PREFIX)


def error_response(
    request: HttpRequest, status: int, text: ErrorText | None = None, *, with_request: bool = True
) -> HttpResponse:
    """The error page for `status` in the layout of the site `request.path` belongs to.

    `with_request=False` renders without context processors (they read the database, which
    may be what failed), as Django's own 500 handler does.
    """
    text = text or TEXTS[status]
    voter = is_voter_path(request.path)
    links = (
        [
            (reverse("public:home"), _("Back to the home page")),
            (reverse("public:status"), _("Check the progress of my suggestion")),
        ]
        if voter
        else [(reverse("home"), _("Back to my work queues"))]
    )
    context = {"status": status, "title": text.title, "message": text.message, "links": links}
    template = loader.get_template("errors/voter.html" if voter else "errors/staff.html")
    body = template.render(context, request) if with_request else template.render({**context, "request": request})
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500, with_request=False)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a stale page or from another site."""
    return error_response(request, 403, CSRF_TEXT)
