"""`python manage.py bench WHAT`: run a registered benchmark; its summary is the last line, as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from bench.registry import Report, discover


class Command(BaseCommand):
    help = "Measure a quality bar of DESIGN.md section 12 beside its baseline (PostgreSQL)."

    def add_arguments(self, parser):
        benchmarks = discover()
        subparsers = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
        for name, benchmark in sorted(benchmarks.items()):
            benchmark().add_arguments(subparsers.add_parser(name, help=benchmark.help))

    def handle(self, *args, what: str, **options):
        benchmark = discover()[what]()
        summary = benchmark.run(options=options, report=Report(self.stdout))
        self.stdout.write(json.dumps({"bench": what, **summary}))
