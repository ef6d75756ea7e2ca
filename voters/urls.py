from __future__ import annotations

from django.urls import path

from voters import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("stations/<int:pk>/", views.station, name="station"),
    path("stations/<int:pk>/poster/", views.station_poster, name="station_poster"),
    path("stations/<int:pk>/qr.svg", views.station_qr, name="station_qr"),
    path("stations/<int:station_pk>/suggest/", views.suggest, name="station_suggest"),
    path("representatives/<int:pk>/", views.representative, name="representative"),
    path("representatives/<int:pk>/qr.svg", views.representative_qr, name="representative_qr"),
    path("representatives/<int:representative_pk>/suggest/", views.suggest, name="representative_suggest"),
    path("suggest/", views.suggest, name="suggest"),
    path("suggest/done/", views.suggest_done, name="suggest_done"),
    path("status/", views.status, name="status"),
    path("status/k/<str:key>/", views.status_key, name="status_key"),
    path("rate/thanks/", views.rate_thanks, name="rate_thanks"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("board/", views.board, name="board"),
    path("board/<int:pk>/", views.board_case, name="board_case"),
    path("units/", views.units, name="units"),
]
