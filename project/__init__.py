"""The project package: wires the apps together (settings, URLs, the WSGI entry point, the API's
URL list and the home page). The apps themselves never import from here; `gis_core` is the base
layer they build on (models of communities and grids, spatial helpers, errors, env parsing)."""
