# The decision log's keys checked by the database again: the check costs a decision less than 10%
# (bench decisions --foreign-keys compare; docs/integrity.md).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cxcore", "0009_signal_customer_no_constraint"),
        ("membrane", "0013_impact_preview"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decisionlog",
            name="customer",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cxcore.customer"
            ),
        ),
        migrations.AlterField(
            model_name="decisionlog",
            name="principle",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="membrane.principle",
            ),
        ),
    ]
