from django.urls import path

from police import registers, views

app_name = "police"
urlpatterns = [
    path("police/", registers.home, name="home"),
    path("police/lookup/", registers.lookup, name="lookup"),
    path("police/persons/<int:person_id>/history/", registers.history, name="history"),
    path("police/buildings/", registers.buildings, name="buildings"),
    path("police/buildings/<int:building_id>/", registers.building_register, name="building"),
    path("police/rooms/<int:room_id>/", registers.room_register, name="room"),
    path("police/feed/", views.feed_page, name="feed"),
    path("police/feed.csv", views.feed_csv, name="feed-csv"),
    path("police/persons/<int:person_id>/unmask/", views.unmask, name="unmask"),
]
