"""The benchmark floor endpoints, included under /_bench/ when BENCH_ENDPOINTS is on."""

from __future__ import annotations

from django.urls import path

from bench import views

app_name = "bench"

urlpatterns = [
    path("trivial", views.trivial, name="trivial"),
    path("pk/<int:pk>", views.one_query, name="one_query"),
]
