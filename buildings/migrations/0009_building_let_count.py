# The rooms' statement-level trigger (0002) also keeps the number of let rooms, so a count of let
# rooms per grid (the service hall's screen, every 5 s per community) sums one column over the
# community's buildings instead of probing the rooms' index building by building.

from django.db import migrations, models

ROOM_COUNTS_SQL = """
CREATE OR REPLACE FUNCTION buildings_room_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE buildings_building b SET room_count = b.room_count + d.n, vacant_count = b.vacant_count + d.v,
                                        let_count = b.let_count + d.l
          FROM (SELECT building_id, count(*) AS n, count(*) FILTER (WHERE status = 'vacant') AS v,
                       count(*) FILTER (WHERE status = 'let') AS l
                  FROM new_rooms GROUP BY building_id) d
         WHERE b.id = d.building_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE buildings_building b SET room_count = b.room_count - d.n, vacant_count = b.vacant_count - d.v,
                                        let_count = b.let_count - d.l
          FROM (SELECT building_id, count(*) AS n, count(*) FILTER (WHERE status = 'vacant') AS v,
                       count(*) FILTER (WHERE status = 'let') AS l
                  FROM old_rooms GROUP BY building_id) d
         WHERE b.id = d.building_id;
    ELSE
        UPDATE buildings_building b SET room_count = b.room_count + d.n, vacant_count = b.vacant_count + d.v,
                                        let_count = b.let_count + d.l
          FROM (SELECT building_id, sum(n) AS n, sum(v) AS v, sum(l) AS l FROM (
                    SELECT building_id, -1 AS n, -(status = 'vacant')::int AS v, -(status = 'let')::int AS l
                      FROM old_rooms
                    UNION ALL
                    SELECT building_id, 1, (status = 'vacant')::int, (status = 'let')::int FROM new_rooms) x
                 GROUP BY building_id HAVING sum(n) <> 0 OR sum(v) <> 0 OR sum(l) <> 0) d
         WHERE b.id = d.building_id;
    END IF;
    RETURN NULL;
END $$;
UPDATE buildings_building b SET let_count = c.l
  FROM (SELECT building_id, count(*) AS l FROM buildings_room WHERE status = 'let' GROUP BY building_id) c
 WHERE b.id = c.building_id;
"""

REVERSE_SQL = """
CREATE OR REPLACE FUNCTION buildings_room_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE buildings_building b SET room_count = b.room_count + d.n, vacant_count = b.vacant_count + d.v
          FROM (SELECT building_id, count(*) AS n, count(*) FILTER (WHERE status = 'vacant') AS v
                  FROM new_rooms GROUP BY building_id) d
         WHERE b.id = d.building_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE buildings_building b SET room_count = b.room_count - d.n, vacant_count = b.vacant_count - d.v
          FROM (SELECT building_id, count(*) AS n, count(*) FILTER (WHERE status = 'vacant') AS v
                  FROM old_rooms GROUP BY building_id) d
         WHERE b.id = d.building_id;
    ELSE
        UPDATE buildings_building b SET room_count = b.room_count + d.n, vacant_count = b.vacant_count + d.v
          FROM (SELECT building_id, sum(n) AS n, sum(v) AS v FROM (
                    SELECT building_id, -1 AS n, -(status = 'vacant')::int AS v FROM old_rooms
                    UNION ALL
                    SELECT building_id, 1, (status = 'vacant')::int FROM new_rooms) x
                 GROUP BY building_id HAVING sum(n) <> 0 OR sum(v) <> 0) d
         WHERE b.id = d.building_id;
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("buildings", "0008_merge_20261204_1526"),
    ]

    operations = [
        migrations.AddField(
            model_name="building",
            name="let_count",
            field=models.PositiveIntegerField(db_default=0, editable=False, verbose_name="已出租房间数"),
        ),
        migrations.RunSQL(ROOM_COUNTS_SQL, REVERSE_SQL),
    ]
