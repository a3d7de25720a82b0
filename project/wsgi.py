import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()

# Public tiles (tiles/fastpath.py) and the kiosk agents' signed readings (kiosk/fastpath.py) are
# answered before Django's middleware; everything else goes through Django as usual.
from kiosk.fastpath import ReadingFastPath  # noqa: E402  (these need the settings configured above)
from tiles.fastpath import TileFastPath  # noqa: E402

application = ReadingFastPath(TileFastPath(application))

# Load the URLconf (every app's views, DRF, the API schema) and the translation catalogues now,
# while the worker starts, rather than in the first request it serves: ≈0.7 s that a kiosk or
# phone would otherwise wait for after every restart, once per worker process.
from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils.translation import trans_real  # noqa: E402

_ = get_resolver().reverse_dict  # imports every URLconf and view module, builds the reverse map
for _code, _name in settings.LANGUAGES:
    trans_real.translation(_code)

# Everything loaded so far lives as long as the worker: move it out of the garbage collector's
# reach. A full collection otherwise walks these ≈156,000 objects — 40–80 ms with the whole
# worker stopped, a stall every kiosk request in flight in that worker waits out.
import gc  # noqa: E402

gc.freeze()
