from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from tsunagu.skills.taxonomy import load_taxonomy


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    load_taxonomy(
        apps.get_model("skills", "Category"),
        apps.get_model("skills", "Skill"),
        apps.get_model("skills", "SkillAlias"),
    )


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("skills", "SkillAlias").objects.all().delete()
    apps.get_model("skills", "Skill").objects.all().delete()
    apps.get_model("skills", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("skills", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
