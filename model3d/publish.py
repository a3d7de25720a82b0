"""Publish a community's 3D Tiles to Cesium ion through its documented REST flow:

1. POST {api}/v1/assets {name, description, type: "3DTILES", options: {sourceType: "3DTILES"}}
   → assetMetadata (id), uploadLocation (an S3 bucket, prefix, endpoint and temporary
   credentials) and onComplete (method, url, fields);
2. upload the tileset, zipped (tileset.json at the root, every GLB beside it), to
   uploadLocation with those credentials (boto3: S3 with a custom endpoint);
3. call onComplete;
4. poll GET {api}/v1/assets/{id} until its status is COMPLETE (or DATA_ERROR / ERROR).

Only with a token: the command refuses to run without CESIUM_ION_TOKEN. Tested against a local
stand-in of this API in the tests; not run against ion itself here (no internet).
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable

from model3d.models import TileContent, TilesetState


class IonError(Exception):
    pass


def tileset_zip(state: TilesetState) -> bytes:
    """The community's stored tileset as ion takes it: tileset.json and its GLB files, with the
    content URIs made relative (our server's ?v= cache keys dropped)."""
    tileset = json.loads(state.tileset_json)

    def relative(node):
        content = node.get("content")
        if content and "uri" in content:
            content["uri"] = content["uri"].rsplit("/", 1)[-1].split("?", 1)[0]
        for child in node.get("children", []):
            relative(child)

    relative(tileset["root"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("tileset.json", json.dumps(tileset, ensure_ascii=False))
        for tile in TileContent.objects.filter(state=state).iterator():
            z.writestr(f"{tile.key}.glb", bytes(tile.glb))
    return buffer.getvalue()


class IonClient:
    def __init__(self, api: str, token: str, timeout: float = 60):
        self.api, self.token, self.timeout = api.rstrip("/"), token, timeout

    def _call(self, method: str, url: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            raise IonError(f"ion answered {exc.code} to {method} {url}: {detail}") from None
        except urllib.error.URLError as exc:
            raise IonError(f"cannot reach ion at {url}: {exc.reason}") from None
        return json.loads(raw) if raw else {}

    def create_asset(self, name: str, description: str) -> dict:
        return self._call("POST", f"{self.api}/v1/assets", {
            "name": name, "description": description, "type": "3DTILES", "options": {"sourceType": "3DTILES"}})

    @staticmethod
    def upload(location: dict, filename: str, payload: bytes) -> None:
        import boto3
        from botocore.config import Config

        s3 = boto3.client("s3", endpoint_url=location["endpoint"], region_name="us-east-1",
                          aws_access_key_id=location["accessKey"], aws_secret_access_key=location["secretAccessKey"],
                          aws_session_token=location.get("sessionToken"),
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        s3.put_object(Bucket=location["bucket"], Key=f"{location['prefix']}{filename}", Body=payload)

    def complete(self, on_complete: dict) -> None:
        self._call(on_complete.get("method", "POST"), on_complete["url"], on_complete.get("fields", {}))

    def wait(self, asset_id: int, *, every: float = 10, limit: float = 3600,
             progress: Callable[[dict], None] = lambda _: None) -> dict:
        deadline = time.monotonic() + limit
        while True:
            meta = self._call("GET", f"{self.api}/v1/assets/{asset_id}")
            progress(meta)
            if meta.get("status") == "COMPLETE":
                return meta
            if meta.get("status") in ("DATA_ERROR", "ERROR"):
                raise IonError(f"ion could not take asset {asset_id}: {meta.get('status')}")
            if time.monotonic() > deadline:
                raise IonError(f"asset {asset_id} not ready after {limit:.0f} s (status {meta.get('status')})")
            time.sleep(every)


def publish(client: IonClient, state: TilesetState, *, every: float = 10,
            progress: Callable[[dict], None] = lambda _: None) -> dict:
    payload = tileset_zip(state)
    community = state.community
    created = client.create_asset(f"{community.name} {community.code}",
                                  f"3D Tiles of {community.name} ({community.code}): buildings and rooms.")
    client.upload(created["uploadLocation"], f"{community.code}.zip", payload)
    client.complete(created["onComplete"])
    return client.wait(created["assetMetadata"]["id"], every=every, progress=progress)
