"""python manage.py reevaluate [--all] [--as-of T]: the scheduled re-evaluation, by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed

from ._stage_args import parse_time


class Command(BaseCommand):
    help = "Re-evaluates stages: customers with new signals (default), or everyone set-based with --all."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="everyone, set-based, as of --as-of (default now)")
        parser.add_argument("--as-of", help="ISO 8601 time to evaluate as of (default now)")

    def handle(self, *args, **options):
        as_of = parse_time(options["as_of"]) if options["as_of"] else None
        run = stages_evaluate_all(as_of=as_of) if options["all"] else stages_evaluate_changed(at=as_of)
        if run.outcome != "succeeded":
            raise CommandError(f"run {run.pk} {run.outcome}: {run.error}")
        self.stdout.write(
            f"run {run.pk} ({run.kind}) as of {run.as_of.isoformat()}: {run.customers} customers, "
            f"{run.transitions} transitions, {run.duration_ms} ms"
        )
