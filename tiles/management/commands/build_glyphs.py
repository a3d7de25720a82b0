"""Fill the glyph cache (tiles/glyphs.py) for every range the names on our maps use, plus Latin.

    manage.py build_glyphs            # ranges of community, grid, building-free basemap names
    manage.py build_glyphs --all-cjk  # the whole CJK Unified Ideographs block (~80 ranges)
"""

from django.core.management.base import BaseCommand
from django.db import connection

from tiles import glyphs

NAMES_SQL = [
    "SELECT string_agg(DISTINCT name, '') FROM gis_core_community",
    "SELECT string_agg(DISTINCT name, '') FROM gis_core_grid",
]


class Command(BaseCommand):
    help = "Render the SDF glyph PBFs MapLibre asks for (cached under GLYPHS_CACHE_DIR, default var/glyphs)."

    def add_arguments(self, parser):
        parser.add_argument("--all-cjk", action="store_true")

    def handle(self, *args, all_cjk=False, **options):
        text = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ·-—（）"
        tables = set(connection.introspection.table_names())
        with connection.cursor() as cur:  # a database not migrated yet (make test) has no names
            for sql in [q for q in NAMES_SQL if q.rsplit(" ", 1)[-1] in tables] + self._basemap_sql(cur):
                cur.execute(sql)
                text += cur.fetchone()[0] or ""
        starts = glyphs.ranges_for(text)
        if all_cjk:  # the CJK Unified Ideographs, CJK punctuation and full-width forms
            starts |= set(range(0x4E00 // 256 * 256, 0x9FFF, 256)) | {0x3000, 0xFF00}
        for start in sorted(starts):
            glyphs.range_pbf(start)
        self.stdout.write(f"{len(starts)} glyph ranges in {glyphs.cache_dir()}")

    @staticmethod
    def _basemap_sql(cur) -> list[str]:
        cur.execute("SELECT table_name FROM information_schema.columns WHERE table_name LIKE 'basemap\\_%%' "
                    "AND column_name = 'name' AND table_schema = current_schema()")
        return [f'SELECT string_agg(DISTINCT name, \'\') FROM "{t}"' for (t,) in cur.fetchall()]
