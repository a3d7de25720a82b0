from django.urls import path

from safety import views

app_name = "safety"
urlpatterns = [
    path("safety/grids/<str:code>/", views.grid_history, name="grid"),
]
