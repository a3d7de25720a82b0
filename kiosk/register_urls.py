"""The ID-card registration flow: the kiosk's registration page and the agent's endpoint."""

from django.urls import path

from kiosk import reader_api, register

app_name = "kiosk-register"
urlpatterns = [
    path("api/kiosk/readings/", reader_api.reading, name="readings"),
    path("kiosk/<slug:code>/register/", register.page, name="page"),
    path("kiosk/<slug:code>/register/sign-in/", register.sign_in, name="sign-in"),
    path("kiosk/<slug:code>/register/sign-out/", register.sign_out, name="sign-out"),
    path("kiosk/<slug:code>/register/room/", register.pick_room, name="room"),
    path("kiosk/<slug:code>/register/check-out/", register.check_out, name="check-out"),
    path("kiosk/<slug:code>/register/status/", register.status, name="status"),
    path("kiosk/<slug:code>/register/consent/", register.consent, name="consent"),
]
