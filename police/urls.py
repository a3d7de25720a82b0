from django.urls import path

from police import views

app_name = "police"
urlpatterns = [
    path("police/feed/", views.feed_page, name="feed"),
    path("police/feed.csv", views.feed_csv, name="feed-csv"),
    path("police/persons/<int:person_id>/unmask/", views.unmask, name="unmask"),
]
