"""python manage.py replay --since T [--until T] [--step 1d]: stage history for imported data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from membrane.models import CustomerStage
from membrane.stages.replay import stages_replay, stages_replay_event_time

from ._stage_args import parse_step, parse_time


class Command(BaseCommand):
    help = (
        "Builds the stage history of a past period, then prints the stage distribution. By default in event "
        "time (transitions at the instants they happened); with --step, set-based runs at successive times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO 8601 time or date the history is rebuilt from")
        parser.add_argument("--until", help="ISO 8601 time of the last evaluation (default now)")
        parser.add_argument("--step", help="set-based runs this far apart instead: 1d, 6h, 30m")

    def handle(self, *args, **options):
        since = parse_time(options["since"])
        until = parse_time(options["until"]) if options["until"] else timezone.now()
        if since > until:
            raise CommandError("--since must not be after --until")
        if options["step"]:
            runs = stages_replay(since=since, until=until, step=parse_step(options["step"]))
            transitions = sum(run.transitions for run in runs)
            self.stdout.write(
                f"{len(runs)} evaluations from {since.isoformat()} to {until.isoformat()}: {transitions} transitions"
            )
        else:
            run = stages_replay_event_time(since=since, until=until)
            if run.outcome != "succeeded":
                raise CommandError(f"run {run.pk} {run.outcome}: {run.error}")
            self.stdout.write(
                f"Event-time replay from {since.isoformat()} to {until.isoformat()}: {run.customers} customers, "
                f"{run.transitions} transitions, {run.duration_ms} ms"
            )
        distribution = CustomerStage.objects.values("stage").annotate(n=Count("pk")).order_by("-n", "stage")
        total = sum(row["n"] for row in distribution) or 1
        self.stdout.write(f"{'stage':<12} {'customers':>10} {'share':>7}")
        for row in distribution:
            self.stdout.write(f"{row['stage']:<12} {row['n']:>10} {100 * row['n'] / total:>6.1f}%")
