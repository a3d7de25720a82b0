"""The police incident categories and the default rule set (safety/defaults.py says where its
numbers come from)."""

from django.db import migrations


def add(apps, schema_editor):
    from safety.defaults import load

    load(apps.get_model("safety", "IncidentCategory"), apps.get_model("safety", "RuleSet"),
         apps.get_model("safety", "CategoryWeight"), apps.get_model("coverage", "QualityLevel"))


def remove(apps, schema_editor):
    apps.get_model("safety", "RuleSet").objects.filter(community__isnull=True, ratings=None).delete()


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial"), ("coverage", "0002_quality_tables")]
    operations = [migrations.RunPython(add, remove)]
