from django.urls import path, re_path

from model3d import ground, views

app_name = "model3d"
urlpatterns = [
    path("tiles/3d/tileset.json", views.root_tileset, name="root"),
    path("tiles/3d/<str:code>/tileset.json", views.community_tileset, name="tileset"),
    re_path(r"^tiles/3d/(?P<code>\d{12})/(?P<key>[bro]-\d{1,2}-\d{1,4}-\d{1,4})\.glb$", views.content, name="content"),
    re_path(r"^tiles/3d/(?P<rest>.*)$", views.malformed),
    path("3d/", views.viewer, name="viewer"),
    path("3d/status.json", views.status, name="status"),
    path("3d/ground/<str:code>.json", ground.ground_view, name="ground"),
    path("3d/room/<int:room_id>.json", views.room_card, name="room"),
]
