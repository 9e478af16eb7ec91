"""Imports the Olist e-commerce subset (docs/olist-mapping.md); running it twice stores nothing twice."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cxcore.importers.loading import population_load
from cxcore.importers.olist import SOURCE, TABLES, olist_default_dir, olist_read
from cxcore.schemas import InvalidInput


class Command(BaseCommand):
    help = "Import the Olist orders, reviews and payments as customers and signals (source 'olist')."

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            help="Folder with the five olist_*_dataset.csv.gz files (default: $OLIST_DIR, else ../shared/data/olist).",
        )

    def handle(self, *args, directory: Path | None, verbosity: int, **options):
        directory = directory or olist_default_dir()
        missing = [t for t in TABLES if not (directory / f"olist_{t}_dataset.csv.gz").is_file()]
        if missing:
            raise CommandError(f"{directory}: missing {', '.join(f'olist_{t}_dataset.csv.gz' for t in missing)}.")
        started = time.monotonic()
        data = olist_read(directory)
        self.stdout.write(
            f"Read {directory}: {len(data.customers):,} customers, {data.orders:,} orders, "
            f"{len(data.signals):,} signals (data cut {data.cut:%Y-%m-%d %H:%M %z})."
        )
        progress = (lambda line: self.stdout.write(f"  ... {line}")) if verbosity > 1 else None
        try:
            report = population_load(customers=data.customers, signals=data.signals, source=SOURCE, progress=progress)
        except InvalidInput as exc:
            raise CommandError(f"{exc.detail} First errors: {exc.errors[:5]}") from exc
        self.stdout.write(
            f"Customers: {len(data.customers):,} ({report.customers_created:,} created, "
            f"{report.customers_updated:,} updated). Orders: {data.orders:,}."
        )
        self.stdout.write("Signals by kind:")
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
