from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list_view, name="list"),
    path("read/", views.notification_read_view, name="read"),
    path("bell/", views.notification_bell_view, name="bell"),
    path("<int:pk>/open/", views.notification_open_view, name="open"),
]
