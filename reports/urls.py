from django.urls import path

from reports import views

urlpatterns = [path("r/<str:token>/", views.receipt, name="report-receipt")]
