"""URLs of the REST API, mounted at /api/v1/: the router, the OpenAPI schema and its two
readers (Swagger UI and Redoc), both served from the app's own static files."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.request import Request
from rest_framework.response import Response

from dashboards.api import FiguresView, UnitLeagueView
from notifications.api import NotificationViewSet
from representatives.api import DutyShiftViewSet, RepresentativeViewSet
from stations.api import RegionViewSet, StationViewSet, VisitViewSet
from suggestions.api import CategoryViewSet, HandlingUnitViewSet, SuggestionViewSet


class ApiRootView(routers.APIRootView):
    """The entry point of the browsable API; not part of the schema."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class Router(routers.DefaultRouter):
    APIRootView = ApiRootView


router = Router()
router.register("regions", RegionViewSet, basename="region")
router.register("stations", StationViewSet, basename="station")
router.register("visits", VisitViewSet, basename="visit")
router.register("representatives", RepresentativeViewSet, basename="representative")
router.register("duty-shifts", DutyShiftViewSet, basename="duty-shift")
router.register("categories", CategoryViewSet, basename="category")
router.register("units", HandlingUnitViewSet, basename="unit")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("notifications", NotificationViewSet, basename="notification")

# Swagger UI sets styles through the DOM and Redoc injects <style> elements and starts a
# web worker from a blob: URL; only these two pages relax the policy for that.
_DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"], "img-src": ["data:"]}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        csp_update(_DOCS_CSP)(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")
        ),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_update(_DOCS_CSP)(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
        name="api-redoc",
    ),
    path("figures/", FiguresView.as_view(), name="api-figures"),
    path("league/", UnitLeagueView.as_view(), name="api-unit-league"),
    *router.urls,
]
