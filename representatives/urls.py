"""Representatives' own pages and the performance files, under the `representatives` namespace."""

from django.urls import path

from representatives import export, views

app_name = "representatives"

urlpatterns = [
    path("me/", views.my_file, name="me"),
    path("me/suggestions/", views.my_suggestions, name="my_suggestions"),
    path("me/activities/", views.my_activities, name="my_activities"),
    path("me/activities/new/", views.activity_create, name="activity_create"),
    path("me/activities/<int:pk>/", views.activity_edit, name="activity_edit"),
    path("me/activities/<int:pk>/delete/", views.activity_remove, name="activity_delete"),
    path("me/visits/new/", views.field_visit_create, name="field_visit_create"),
    path("files/", views.file_list, name="file_list"),
    path("files/export.xlsx", export.file_export, name="file_export"),
    path("<int:pk>/file/", views.file_detail, name="file"),
]
