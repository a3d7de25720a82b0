"""A minimal Django project serving our layers with django-vectortiles 1.0.2 (a benchmark peer).

It runs only inside the throwaway virtualenv var/bench-venvs/dvt (see peers.py), never in ours:
    cd bench/tiles && BENCH_DVT_DATABASE_URL=postgis://… ../../var/bench-venvs/dvt/bin/gunicorn dvt_site.wsgi
"""
