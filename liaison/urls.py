from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from health.views import health
from liaison.views import healthz

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("s/", include("voters.urls")),
    path("notifications/", include("notifications.urls")),
    path("suggestions/", include("suggestions.urls")),
    path("visits/", include("stations.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("exports/", include("exports.urls")),
    path("representatives/", include("representatives.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("health/", health, name="health"),
    path("api/v1/", include("liaison.api")),
    path("open311/", include("open311.urls")),
]

if settings.BENCH_ENDPOINTS:
    urlpatterns += [path("_bench/", include("bench.urls"))]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Chinese error pages in the layout of the site the visitor is on (liaison/errors.py).
handler400 = "liaison.errors.bad_request"
handler403 = "liaison.errors.permission_denied"
handler404 = "liaison.errors.page_not_found"
handler500 = "liaison.errors.server_error"
