"""The production tile cache: the same caching and invalidation on a real Redis server."""

import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buildings.models import Room
from tests.ports import free_port
from tests.tiles_helpers import decode, url_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server not found: `make test` installs Debian's redis-server package")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


def test_tiles_cached_and_invalidated_in_redis(client, redis_url, settings, building,
                                               django_capture_on_commit_callbacks):
    from tests.factories import make_room

    room = make_room(building, 1, "101")
    settings.CACHES = {**settings.CACHES, "tiles": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                    "LOCATION": redis_url}}
    url = url_at(60, 57)
    assert decode(client.get(url))["rooms"][room.pk]["status"] == "vacant"
    assert caches["tiles"]._cache.get_client().dbsize() >= 1  # the tile went to Redis
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    assert len(q) == 0
    with django_capture_on_commit_callbacks(execute=True):
        room.status = Room.Status.LET
        room.save()
    assert decode(client.get(url))["rooms"][room.pk]["status"] == "let"
