from django.db import migrations

from cxcore import defaults


def seed(apps, schema_editor):
    Team = apps.get_model("cxcore", "Team")
    Channel = apps.get_model("cxcore", "Channel")
    Category = apps.get_model("cxcore", "Category")
    ActionKind = apps.get_model("cxcore", "ActionKind")
    Group = apps.get_model("auth", "Group")
    for key, name in defaults.TEAMS.items():
        Team.objects.get_or_create(key=key, defaults={"name": name})
    for key, name in defaults.CHANNELS.items():
        Channel.objects.get_or_create(key=key, defaults={"name": name})
    for key, (name, requires_consent) in defaults.CATEGORIES.items():
        Category.objects.get_or_create(key=key, defaults={"name": name, "requires_consent": requires_consent})
    for key, name in defaults.ACTION_KINDS.items():
        ActionKind.objects.get_or_create(key=key, defaults={"name": name})
    for role in defaults.ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("cxcore", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
