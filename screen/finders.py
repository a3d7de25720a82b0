"""Serve ECharts from npm (node_modules/echarts) as our own static file, without copying the
package's 50 MB of builds and source maps into the static root: only the one bundle the screen
loads is found (and collected) as vendor/echarts/echarts.esm.min.mjs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor/echarts/"
FILES = ("echarts.esm.min.mjs",)


class EChartsFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.root = settings.BASE_DIR / "node_modules" / "echarts" / "dist"
        self.storage = FileSystemStorage(location=str(self.root))
        self.storage.prefix = PREFIX.rstrip("/")

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path.startswith(PREFIX) and path[len(PREFIX):] in FILES:
            found = str(self.root / path[len(PREFIX):])
            if (self.root / path[len(PREFIX):]).exists():
                return [found] if find_all or kwargs.get("all") else found
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns):
        for name in FILES:
            if (self.root / name).exists():
                yield name, self.storage
