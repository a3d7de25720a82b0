"""reports_tile: what the staff-only `reports` tile layer draws (tiles/layers.py).

Open reports only. A report of an ordinary category at its own point; one of a sensitive category
at the label point of its mesh (its grid's without a mesh), with precision 'mesh', so that not
even a staff tile shows where exactly it was. A UNION ALL: PostgreSQL pushes the tile's
`geom && envelope` into each branch, answered by the GiST index of the reports' points and of
the grids' label points.
"""

from django.db import migrations

OPEN = "('new', 'offered', 'accepted', 'on_the_way', 'on_site')"  # reports.models.Report.OPEN

VIEW = f"""
CREATE VIEW reports_tile AS
SELECT r.id, r.location_3857 AS geom, c.code AS category, c.name AS category_name, r.status, r.level,
       r.created_at, 'point'::text AS precision
  FROM reports_report r JOIN reports_category c ON c.id = r.category_id
 WHERE NOT c.sensitive AND r.status IN {OPEN}
UNION ALL
SELECT r.id, g.label_3857 AS geom, c.code, c.name, r.status, r.level, r.created_at, 'mesh'::text
  FROM reports_report r JOIN reports_category c ON c.id = r.category_id
  JOIN gis_core_grid g ON g.id = coalesce(r.mesh_id, r.grid_id)
 WHERE c.sensitive AND r.status IN {OPEN}
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_notifications"), ("gis_core", "0005_camera_effective_hfov")]

    operations = [migrations.RunSQL(VIEW, "DROP VIEW IF EXISTS reports_tile")]
