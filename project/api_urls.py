from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from gis_core.api import views
from kiosk.api import VacantRoomSearch
from residents.api import CheckIn, CheckOut, TenancyLeaseEnd, TenancyList

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("kiosks/", views.KioskList.as_view(), name="kiosks"),
    path("communities/", views.CommunityList.as_view(), name="communities"),
    path("grids/", views.GridList.as_view(), name="grids"),
    path("buildings/", views.BuildingList.as_view(), name="buildings"),
    path("rooms/", views.RoomList.as_view(), name="rooms"),
    path("cameras/", views.CameraList.as_view(), name="cameras"),
    path("vacant-rooms/", VacantRoomSearch.as_view(), name="vacant-rooms"),
    path("rooms/<int:room_id>/check-in/", CheckIn.as_view(), name="check-in"),
    path("rooms/<int:room_id>/check-out/", CheckOut.as_view(), name="check-out"),
    path("tenancies/", TenancyList.as_view(), name="tenancies"),
    path("tenancies/<int:tenancy_id>/", TenancyLeaseEnd.as_view(), name="tenancy"),
]
