"""Staff pages for suggestions, under the `suggestions` namespace."""

from django.urls import path

from suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("", views.suggestion_list_view, name="list"),
    path("export.xlsx", views.suggestion_export, name="export"),
    path("options/<str:field>/", views.filter_options, name="filter_options"),
    path("export-log/", views.export_log_view, name="export_log"),
    path("<str:code>/", views.suggestion_detail, name="detail"),
    path("<str:code>/form/", views.suggestion_print, name="print"),
    path("<str:code>/attachments/<int:pk>/", views.suggestion_attachment, name="attachment"),
    path("<str:code>/do/<str:action>/", views.suggestion_action, name="action"),
    path("<str:code>/do/<str:action>/options/<str:field>/", views.action_options, name="action_options"),
]
