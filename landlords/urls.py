from django.urls import path

from landlords import views

app_name = "landlords"
urlpatterns = [
    path("my/login/", views.sign_in, name="login"),
    path("my/logout/", views.sign_out, name="logout"),
    path("my/", views.home, name="home"),
    path("my/consent/", views.consent, name="consent"),
    path("my/b/<int:building_id>/", views.building, name="building"),
    path("my/b/<int:building_id>/rooms/", views.room_add, name="room-add"),
    path("my/b/<int:building_id>/plate.pdf", views.plate, name="plate"),
    path("my/b/<int:building_id>/plate/lost/", views.plate_lost, name="plate-lost"),
    path("my/r/<int:room_id>/", views.room, name="room"),
    path("my/r/<int:room_id>/edit/", views.room_update, name="room-update"),
    path("my/r/<int:room_id>/status/", views.room_status, name="room-status"),
    path("my/r/<int:room_id>/retire/", views.room_retire, name="room-retire"),
    path("my/r/<int:room_id>/checkout/", views.room_checkout, name="room-checkout"),
    path("my/r/<int:room_id>/photos/", views.photo_add, name="photo-add"),
    path("my/r/<int:room_id>/photos/<int:photo_id>/delete/", views.photo_delete, name="photo-delete"),
    path("rooms/photo/<int:photo_id>.jpg", views.photo, name="photo"),
]
