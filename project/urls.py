from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="project/home.html"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("routes.urls")),  # /api/routes/walk/ (plain views, before the API's router)
    path("", include("basemap.urls")),  # /api/basemap/snap/
    path("api/", include("project.api_urls")),
    path("", include("model3d.urls")),  # before tiles.urls, whose catch-all answers /tiles/…
    path("", include("tiles.urls")),
    path("", include("qrcodes.urls")),
    path("", include("kiosk.urls")),
    path("", include("kiosk.register_urls")),
    path("", include("reports.urls")),
    path("", include("reports.open311.urls")),  # /open311/v2/… (GeoReport v2)
    path("", include("police.urls")),
    path("", include("gridwork.urls")),
    path("", include("planner.urls")),
    path("", include("accounts.urls")),
    path("", include("coverage.urls")),
    path("", include("safety.urls")),
    path("", include("screen.urls")),
    path("", include("landlords.urls")),
]
handler500 = "gis_core.http_errors.server_error"
