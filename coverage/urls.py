from django.urls import path, register_converter

from coverage import api, pages

app_name = "coverage"


class ExchangeFormat:
    regex = "csv|json"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExchangeFormat, "exchange")

urlpatterns = [
    path("cameras/coverage/", pages.coverage_page, name="page"),
    path("api/coverage/levels/", api.Levels.as_view(), name="levels"),
    path("api/coverage/grids/", api.GridCoverageList.as_view(), name="grids"),
    path("api/coverage/grids/<str:code>/", api.GridCoverageDetail.as_view(), name="grid"),
    path("api/coverage/cameras/<int:pk>/", api.CameraEdit.as_view(), name="camera"),
    path("api/coverage/grids/<str:code>/placement/", api.Placement.as_view(), name="placement"),
    path("api/coverage/cameras/export.<exchange:fmt>", api.CameraExport.as_view(), name="export"),
    path("api/coverage/cameras/import/", api.CameraImport.as_view(), name="import"),
]
