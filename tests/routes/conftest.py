import pytest

from tests.routes.helpers import line as _line, point as _point


@pytest.fixture
def network(db, two_grids):
    """A walled courtyard (0–100 × 0–100 m) with a south gate open 06:00–23:00 and a north gate
    always open; streets outside along y = −20 (south), y = 120 (north) and x = −20 (west); a lane
    from street to street through both gates; a path from the west street to the middle of the
    courtyard that goes through the west wall where there is no gate. A building by the lane."""
    from basemap.models import Barrier, Gate, Road
    from basemap.services import replace_extract
    from tests.factories import make_building

    def write(e):
        Road.objects.bulk_create([
            Road(extract_id=e, kind="residential", rank=3, name="南街", geom=_line((-20, -20), (150, -20))),
            Road(extract_id=e, kind="residential", rank=3, name="北街", geom=_line((-20, 120), (150, 120))),
            Road(extract_id=e, kind="residential", rank=3, name="西街", geom=_line((-20, -20), (-20, 120))),
            Road(extract_id=e, kind="living_street", rank=3, geom=_line((50, -20), (50, 0), (50, 100), (50, 120))),
            Road(extract_id=e, kind="footway", rank=5, geom=_line((-20, 45), (50, 45))),  # through the wall
        ])
        Barrier.objects.create(extract_id=e, kind="wall",
                               geom=_line((50, 0), (100, 0), (100, 100), (50, 100), (0, 100), (0, 0), (50, 0)))
        from datetime import time

        Gate.objects.create(extract_id=e, kind="gate", name="南门", hours="06:00-23:00", opens=time(6), closes=time(23),
                            geom=_point(50, 0))
        Gate.objects.create(extract_id=e, kind="entrance_main", name="北门", main=True, geom=_point(50, 100))

    replace_extract("hand-made", "test", write)
    return {"building": make_building("B-1", (55, 40, 65, 50)), "start": _point(50, -25)}
