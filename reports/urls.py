from django.urls import path

from reports import views

urlpatterns = [
    path("report/<str:token>/", views.receipt, name="report-receipt"),
    path("p/<str:token>/nearby", views.nearby_at_point, name="report-nearby-point"),
    path("p/<str:token>/submit", views.submit_at_point, name="report-submit-point"),
]
