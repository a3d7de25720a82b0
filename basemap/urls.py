from django.urls import path

from basemap import views

app_name = "basemap"
urlpatterns = [path("api/basemap/snap/", views.snap_lines, name="snap")]
