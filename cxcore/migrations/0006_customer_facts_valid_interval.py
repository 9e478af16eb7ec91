import django.utils.timezone
from django.db import migrations, models


def forget_stored_facts(apps, schema_editor):
    # A cache of the signals: its rows lack the new columns and are computed again by the next run.
    apps.get_model("cxcore", "CustomerFacts").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cxcore", "0005_customer_change"),
    ]

    operations = [
        migrations.RunPython(forget_stored_facts, migrations.RunPython.noop),
        migrations.RemoveField(model_name="customerfacts", name="tenure_days"),
        migrations.RemoveField(model_name="customerfacts", name="days_since_oldest_open_ticket"),
        migrations.RemoveField(model_name="customerfacts", name="days_since_last_resolution"),
        migrations.RemoveField(model_name="customerfacts", name="days_since_last_purchase"),
        migrations.RemoveField(model_name="customerfacts", name="days_since_last_contact"),
        migrations.AddField(
            model_name="customerfacts",
            name="valid_until_us",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="tenure_start",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="oldest_open_ticket_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="last_resolution_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="last_purchase_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="last_contact_at",
            field=models.DateTimeField(null=True),
        ),
    ]
