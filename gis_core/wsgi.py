import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_core.settings")
application = get_wsgi_application()

# Public tiles (tiles/fastpath.py) and the kiosk agents' signed readings (kiosk/fastpath.py) are
# answered before Django's middleware; everything else goes through Django as usual.
from kiosk.fastpath import ReadingFastPath  # noqa: E402  (these need the settings configured above)
from tiles.fastpath import TileFastPath  # noqa: E402

application = ReadingFastPath(TileFastPath(application))
