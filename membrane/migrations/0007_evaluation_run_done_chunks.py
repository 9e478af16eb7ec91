import math

from django.db import migrations, models


def chunks_from_prefix(apps, schema_editor):
    """A run interrupted before this migration resumes from the chunks its done_through_id covered."""
    EvaluationRun = apps.get_model("membrane", "EvaluationRun")
    for run in EvaluationRun.objects.exclude(done_through_id=None).exclude(first_id=None):
        size = max(1, math.ceil((run.last_id - run.first_id + 1) / max(run.chunks_total, 1)))
        covered = (run.done_through_id - run.first_id + 1) // size
        run.done_chunks = list(range(run.chunks_total if run.done_through_id >= run.last_id else covered))
        run.save(update_fields=["done_chunks"])


def prefix_from_chunks(apps, schema_editor):
    EvaluationRun = apps.get_model("membrane", "EvaluationRun")
    for run in EvaluationRun.objects.exclude(first_id=None):
        size = max(1, math.ceil((run.last_id - run.first_id + 1) / max(run.chunks_total, 1)))
        done = set(run.done_chunks)
        prefix = next(k for k in range(len(done) + 1) if k not in done)
        if prefix:
            run.done_through_id = min(run.first_id + prefix * size - 1, run.last_id)
            run.save(update_fields=["done_through_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("membrane", "0006_customer_stage_no_constraint"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationrun",
            name="done_chunks",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(chunks_from_prefix, prefix_from_chunks),
        migrations.RemoveField(
            model_name="evaluationrun",
            name="done_through_id",
        ),
    ]
