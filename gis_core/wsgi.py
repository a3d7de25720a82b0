import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_core.settings")
application = get_wsgi_application()

# Cached public tiles are answered before Django's middleware (see tiles/fastpath.py).
from tiles.fastpath import TileFastPath  # noqa: E402  (needs the settings configured above)

application = TileFastPath(application)
