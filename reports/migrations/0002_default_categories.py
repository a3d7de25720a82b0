"""Default categories with the published "1011" clock (on site in 10 minutes, ordinary problems
solved in 1 hour, hard ones followed up within 1 day); editable afterwards in the admin.
Each higher level gets the same time again before the next escalation."""

from django.db import migrations

# code, name, sensitive, {stage: minutes at grid level}
DEFAULTS = [
    ("safety", "治安安全", False, {"ack": 3, "on_site": 10, "resolve": 60}),
    ("fire", "消防隐患", False, {"ack": 3, "on_site": 10, "resolve": 60}),
    ("sanitation", "环境卫生", False, {"ack": 10, "on_site": 30, "resolve": 60}),
    ("facility", "设施损坏", False, {"ack": 10, "on_site": 60, "resolve": 1440}),
    ("dispute", "邻里纠纷", True, {"ack": 30, "on_site": 240, "resolve": 1440}),
    ("other", "其他", False, {"ack": 30, "on_site": 240, "resolve": 1440}),
]
LEVELS = ("grid", "community", "street")


def add(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    CategoryDeadline = apps.get_model("reports", "CategoryDeadline")
    for sort, (code, name, sensitive, stages) in enumerate(DEFAULTS):
        cat, created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sensitive": sensitive, "sort": sort}
        )
        if not created:
            continue
        CategoryDeadline.objects.bulk_create(
            CategoryDeadline(category=cat, stage=stage, level=level, minutes=minutes)
            for stage, minutes in stages.items() for level in LEVELS
        )


def remove(apps, schema_editor):
    apps.get_model("reports", "Category").objects.filter(code__in=[d[0] for d in DEFAULTS], reports=None).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
