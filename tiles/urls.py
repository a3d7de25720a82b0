from django.urls import path, re_path

from tiles import views

app_name = "tiles"
urlpatterns = [
    path("tiles/tiles.json", views.tilejson, name="tilejson"),
    path("tiles/style.json", views.style_json, name="style"),
    path("tiles/basemap.json", views.basemap_tilejson, name="basemap_tilejson"),
    path("tiles/basemap-style.json", views.basemap_style_json, name="basemap_style"),
    path("tiles/glyphs/<str:fontstack>/<int:start>-<int:end>.pbf", views.glyph_range, name="glyphs"),
    path("tiles/<int:z>/<int:x>/<int:y>.mvt", views.tile, name="tile"),
    path("tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.mvt", views.layer_tile, name="layer_tile"),
    re_path(r"^tiles/(?P<rest>.*)$", views.malformed),
    path("map/", views.map_page, name="map"),
]
