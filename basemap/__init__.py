"""The offline basemap: roads, alleys, water, landuse, walls, gates, POIs and place names from an
OpenStreetMap extract (or the demo generator), served under every map as vector tiles."""
