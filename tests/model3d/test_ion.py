"""Cesium ion only with a token: offline nothing names it; with CESIUM_ION_TOKEN the viewer gets
its terrain and imagery, and `publish_3dtiles --ion` follows ion's documented REST flow — tested
against a small stand-in of that API and of its S3 upload location, written here from the
documentation (create asset → upload to the returned location → onComplete → poll status)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from model3d.models import TileContent

TOKEN = "ion-token-for-tests"


class StandIn:
    """ion's /v1/assets API and an S3 bucket at the upload location, on a loopback port."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.objects: dict[str, bytes] = {}
        self.created: dict | None = None
        self.completed = False
        self.polls = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._json(401, {"code": "InvalidCredentials", "message": "Invalid access token"})
                    return False
                return True

            def do_POST(self):
                stand_in.calls.append(("POST", self.path))
                body = json.loads(self._body() or b"{}")
                if not self._authorised():
                    return
                if self.path == "/v1/assets":
                    assert body["type"] == "3DTILES" and body["options"]["sourceType"] == "3DTILES", body
                    stand_in.created = body
                    base = f"http://127.0.0.1:{self.server.server_port}"
                    return self._json(200, {
                        "assetMetadata": {"id": 4242, "type": "3DTILES", "status": "AWAITING_FILES"},
                        "uploadLocation": {"bucket": "assets.ion", "prefix": "sources/4242/", "accessKey": "AK",
                                           "secretAccessKey": "SK", "sessionToken": "ST", "endpoint": base},
                        "onComplete": {"method": "POST", "url": f"{base}/v1/assets/4242/uploadComplete", "fields": {}}})
                if self.path == "/v1/assets/4242/uploadComplete":
                    stand_in.completed = bool(stand_in.objects)
                    return self._json(204 if stand_in.completed else 400, {})
                self._json(404, {"code": "ResourceNotFound"})

            def do_PUT(self):  # S3 PutObject, path-style: /bucket/key
                stand_in.calls.append(("PUT", self.path))
                data = self._body()
                assert "AK/" in self.headers.get("Authorization", ""), "signed with the returned credentials"
                stand_in.objects[self.path] = data
                self.send_response(200)
                self.send_header("ETag", '"x"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                stand_in.calls.append(("GET", self.path))
                if not self._authorised():
                    return
                if self.path == "/v1/assets/4242":
                    stand_in.polls += 1
                    status = "COMPLETE" if stand_in.completed and stand_in.polls >= 2 else "IN_PROGRESS"
                    return self._json(200, {"id": 4242, "status": status, "percentComplete": 100 if status == "COMPLETE" else 40})
                self._json(404, {"code": "ResourceNotFound"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def ion_api():
    stand_in = StandIn()
    yield stand_in
    stand_in.close()


def test_without_a_token_nothing_is_sent(model, ion_api, settings):
    settings.CESIUM_ION_TOKEN = None
    settings.CESIUM_ION_API = ion_api.url
    with pytest.raises(CommandError, match="CESIUM_ION_TOKEN is not set"):
        call_command("publish_3dtiles", "--ion")
    assert ion_api.calls == []


def test_publish_follows_the_documented_flow(model, ion_api, settings, capsys):
    settings.CESIUM_ION_TOKEN = TOKEN
    settings.CESIUM_ION_API = ion_api.url
    call_command("publish_3dtiles", "--ion", "--poll-seconds", "0.05")
    kinds = [(m, p.split("?")[0]) for m, p in ion_api.calls]
    assert kinds[0] == ("POST", "/v1/assets")
    assert kinds[1] == ("PUT", f"/assets.ion/sources/4242/{model['community'].code}.zip")
    assert kinds[2] == ("POST", "/v1/assets/4242/uploadComplete")
    assert kinds[3:] == [("GET", "/v1/assets/4242")] * ion_api.polls and ion_api.polls >= 2
    assert model["community"].code in ion_api.created["name"]
    archive = zipfile.ZipFile(io.BytesIO(ion_api.objects[f"/assets.ion/sources/4242/{model['community'].code}.zip"]))
    tileset = json.loads(archive.read("tileset.json"))
    uris = []

    def walk(node):
        if "content" in node:
            uris.append(node["content"]["uri"])
        for child in node.get("children", []):
            walk(child)

    walk(tileset["root"])
    names = set(archive.namelist()) - {"tileset.json"}
    assert uris and set(uris) == names  # every content in the zip, by a relative name
    assert len(names) == TileContent.objects.filter(state__community=model["community"]).count()
    assert "published as Cesium ion asset 4242" in capsys.readouterr().out


def test_a_refused_token_is_a_clear_error(model, ion_api, settings):
    settings.CESIUM_ION_TOKEN = "wrong"
    settings.CESIUM_ION_API = ion_api.url
    with pytest.raises(CommandError, match="ion answered 401"):
        call_command("publish_3dtiles", "--ion")


def test_the_viewer_names_ion_only_with_a_token(client, model, settings):
    settings.CESIUM_ION_TOKEN = None
    response = client.get("/3d/")
    page = response.content.decode()
    config = json.loads(page.split('id="viewer-config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["ion"] is None and TOKEN not in page
    assert "cesium.com" not in page and "cesium.com" not in response["Content-Security-Policy"]
    settings.CESIUM_ION_TOKEN = TOKEN
    settings.CESIUM_ION_CLIENT_TOKEN = "read-only"
    page = client.get("/3d/").content.decode()
    config = json.loads(page.split('id="viewer-config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["ion"] == {"token": "read-only", "server": settings.CESIUM_ION_API, "terrain": True, "imagery": 2}


def test_settings_name_ion_only_with_a_token(tmp_path):
    """Read in a fresh process as a deployment reads them: without CESIUM_ION_TOKEN neither ion's
    address nor its hosts are in the settings or the content policy, even when CESIUM_ION_API is set."""
    import os
    import subprocess
    import sys

    from django.conf import settings as live

    probe = ("import json, django; django.setup(); from django.conf import settings as s; "
             "print(json.dumps([s.CESIUM_ION_API, repr(s.CONTENT_SECURITY_POLICY)]))")
    base = {k: v for k, v in os.environ.items() if not k.startswith("CESIUM_ION")}
    base.update(DJANGO_SETTINGS_MODULE="project.settings", CESIUM_ION_API="https://api.cesium.com")

    def read(**extra):
        out = subprocess.run([sys.executable, "-c", probe], env={**base, **extra}, cwd=live.BASE_DIR,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    api, policy = read()
    assert api == "" and "cesium" not in policy
    api, policy = read(CESIUM_ION_TOKEN="a-token")
    assert api == "https://api.cesium.com" and "cesium.com" in policy
