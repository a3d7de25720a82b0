"""/all/{z}/{x}/{y}: every public layer in one tile; /buildings/{z}/{x}/{y}: buildings only."""

from vectortiles.views import MVTView

from dvt_site import layers


class AllLayers(MVTView):
    layer_classes = layers.ALL
    prefix_url = "all"


class BuildingsOnly(MVTView):
    layer_classes = layers.BUILDINGS
    prefix_url = "buildings"


urlpatterns = [AllLayers.get_url(), BuildingsOnly.get_url()]
