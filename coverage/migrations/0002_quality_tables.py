"""The quality-level tables as data: EN/IEC 62676-4:2015 (DORI) and its seven-level revision."""

from django.db import migrations

from coverage.levels import TABLES, load


def forwards(apps, schema_editor):
    load(apps.get_model("coverage", "QualityTable"), apps.get_model("coverage", "QualityLevel"))


def backwards(apps, schema_editor):
    apps.get_model("coverage", "QualityTable").objects.filter(code__in=TABLES).delete()


class Migration(migrations.Migration):
    dependencies = [("coverage", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
