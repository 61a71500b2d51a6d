from django.db import migrations

# The usual issue categories; the list stays editable in the admin.
CATEGORIES = [
    ("党建", "Party building"),
    ("安全", "Safety"),
    ("廉政", "Integrity"),
    ("作风", "Work style"),
    ("其他", "Other"),
]


def add_categories(apps, schema_editor):
    Category = apps.get_model("ledger", "Category")
    for order, (name, name_en) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"name_en": name_en, "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
