from django.urls import path

from screen import views

app_name = "screen"
urlpatterns = [
    path("screen/<str:code>/", views.screen_page, name="page"),
    path("screen/<str:code>/data.json", views.screen_data, name="data"),
]
