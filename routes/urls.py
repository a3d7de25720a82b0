from django.urls import path

from routes import views

app_name = "routes"
urlpatterns = [path("api/routes/walk/", views.walk, name="walk")]
