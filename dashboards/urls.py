"""Dashboard pages, under the `dashboards` namespace."""

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard_view, name="index"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("league.xlsx", views.league_export, name="league_export"),
]
