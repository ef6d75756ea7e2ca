"""Staff pages for voter visits, under the `stations` namespace."""

from django.urls import path

from stations import export, views

app_name = "stations"

urlpatterns = [
    path("", views.visit_list_view, name="visit_list"),
    path("export.xlsx", export.visit_export, name="visit_export"),
    path("new/", views.visit_create, name="visit_create"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/edit/", views.visit_edit, name="visit_edit"),
]
