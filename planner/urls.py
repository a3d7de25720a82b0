from django.urls import path

from planner import api, views

urlpatterns = [
    path("planner/", views.planner_map, name="planner-map"),
    path("planner/login/", views.PlannerLogin.as_view(), name="planner-login"),
    path("api/planner/grids/", api.GridCollection.as_view(), name="planner-api-grids"),
    path("api/planner/grids/batch/", api.GridBatch.as_view(), name="planner-api-batch"),
    path("api/planner/grids/check/", api.GridCheck.as_view(), name="planner-api-check"),
    path("api/planner/grids/<int:pk>/", api.GridDetail.as_view(), name="planner-api-grid"),
    path("api/planner/grids/<int:pk>/split/", api.GridSplit.as_view(), name="planner-api-split"),
    path("api/planner/grids/<int:pk>/merge/", api.GridMerge.as_view(), name="planner-api-merge"),
    path("api/planner/grids/<int:pk>/history/", api.GridHistory.as_view(), name="planner-api-history"),
    path("api/planner/grids/<int:pk>/history/<int:version>/", api.GridVersionDetail.as_view(),
         name="planner-api-version"),
    path("api/planner/grids/<int:pk>/history/<int:version>/restore/", api.GridRestore.as_view(),
         name="planner-api-restore"),
    path("api/planner/communities/<int:pk>/renumber/", api.Renumber.as_view(), name="planner-api-renumber"),
    path("api/planner/buildings/", api.BuildingsInView.as_view(), name="planner-api-buildings"),
    path("api/planner/cameras/", api.CameraCollection.as_view(), name="planner-api-cameras"),
    path("api/planner/cameras/<int:pk>/", api.CameraDetail.as_view(), name="planner-api-camera"),
]
