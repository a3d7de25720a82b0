from django.urls import path

app_name = "screen"
urlpatterns = []
