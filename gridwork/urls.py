from django.urls import path

from gridwork import views

app_name = "gridwork"
urlpatterns = [
    path("grid/", views.home, name="home"),
    path("grid/rooms/<int:room_id>/", views.room, name="room"),
    path("grid/tenancies/<int:tenancy_id>/check-out/", views.check_out, name="check-out"),
]
