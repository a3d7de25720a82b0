"""Local metres (tests.factories) → basemap geometries, for hand-made networks."""

from django.contrib.gis.geos import LineString, Point

from tests.factories import lonlat


def line(*points):
    return LineString([lonlat(x, y) for x, y in points], srid=4326)


def point(x, y):
    return Point(*lonlat(x, y), srid=4326)
