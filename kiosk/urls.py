from django.urls import path

from kiosk import views

app_name = "kiosk"
urlpatterns = [
    path("kiosk/<slug:code>/", views.kiosk_page, name="page"),
    path("r/<int:room_id>/", views.room_page, name="room"),
    path("r/<int:room_id>/qr.svg", views.room_qr, name="room-qr"),
]
