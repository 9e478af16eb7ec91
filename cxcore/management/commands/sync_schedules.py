"""Writes the beat schedules defined in settings (so, in git) to django-celery-beat's tables."""

from __future__ import annotations

import json

from celery.schedules import crontab
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Sync CELERY_BEAT_SCHEDULE from settings into the database scheduler."

    @transaction.atomic
    def handle(self, *args, **options):
        names = []
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            schedule = entry["schedule"]
            fields = {"task": entry["task"], "enabled": True, "interval": None, "crontab": None}
            if isinstance(schedule, crontab):
                fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=str(schedule._orig_minute),
                    hour=str(schedule._orig_hour),
                    day_of_week=str(schedule._orig_day_of_week),
                    day_of_month=str(schedule._orig_day_of_month),
                    month_of_year=str(schedule._orig_month_of_year),
                    timezone=settings.CELERY_TIMEZONE,
                )
            else:
                fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=int(schedule), period=IntervalSchedule.SECONDS
                )
            fields["kwargs"] = json.dumps(entry.get("kwargs", {}))
            PeriodicTask.objects.update_or_create(name=name, defaults=fields)
            names.append(name)
        stale = PeriodicTask.objects.exclude(name__in=names).exclude(name__startswith="celery.")
        removed = stale.count()
        stale.delete()
        self.stdout.write(f"Schedules synced: {len(names)} in code, {removed} stale removed.")
