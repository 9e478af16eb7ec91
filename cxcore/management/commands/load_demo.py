"""Loads the seeded demo population, the reference story's merchants and the demo users."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cxcore import hooks
from cxcore.demo.generator import SOURCE, demo_generate
from cxcore.demo.users import demo_users_ensure
from cxcore.importers.loading import population_load
from cxcore.models import Customer


class Command(BaseCommand):
    help = "Load a deterministic demo: customers with six months of signals, the reference story, demo users."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=3000, help="Generated customers (default 3000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same demo.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any customer exists.")

    def handle(self, *args, customers: int, seed: int, if_empty: bool, verbosity: int, **options):
        if customers < 0:
            raise CommandError("--customers must be 0 or more.")
        if if_empty and Customer.objects.exists():
            self.stdout.write("Customers exist already; demo not loaded (--if-empty).")
            return
        started = time.monotonic()
        users = demo_users_ensure()
        now = timezone.now()
        data = demo_generate(customers=customers, seed=seed, now=now)
        progress = (lambda line: self.stdout.write(f"  ... {line}")) if verbosity > 1 else None
        report = population_load(customers=data.customers, signals=data.signals, source=SOURCE, progress=progress)
        self.stdout.write(
            f"Demo (seed {seed}): {len(data.customers):,} customers ({report.customers_created:,} created, "
            f"{report.customers_updated:,} updated), {len(users)} users."
        )
        self.stdout.write("Signals by kind:")
        for line in report.lines():
            self.stdout.write(line)
        for _, added in hooks.demo_loaded.send(sender=self.__class__, now=now):
            if added:
                self.stdout.write(added)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
