"""The foreign keys the schema leaves unchecked by the database (db_constraint=False), checked for a measurement.

`bench ingest|reevaluate|decisions --foreign-keys checked` (or a list of table.column) adds each as
the constraint Django would have created (DEFERRABLE INITIALLY DEFERRED, as Django's are; NOT VALID,
so adding it does not check the rows already there, while every row written afterwards is checked)
for the duration of the measurement, and drops it afterwards: the same run measures what the check
costs on its path.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection


@dataclass(frozen=True)
class UncheckedKey:
    table: str
    column: str
    target_table: str
    target_column: str

    @property
    def constraint(self) -> str:
        return f"bench_fk_{self.table}_{self.column}"[:63]

    def __str__(self) -> str:
        return f"{self.table}.{self.column} -> {self.target_table}.{self.target_column}"


def unchecked_keys() -> list[UncheckedKey]:
    """Every foreign key declared with db_constraint=False on a table this database has (migrated)."""
    tables = set(connection.introspection.table_names())
    keys = []
    for model in apps.get_models():
        for field in model._meta.local_fields:
            if not (field.many_to_one or field.one_to_one) or field.db_constraint:
                continue
            if model._meta.db_table in tables:
                target = field.target_field
                keys.append(
                    UncheckedKey(model._meta.db_table, field.column, target.model._meta.db_table, target.column)
                )
    return sorted(keys, key=str)


def add_foreign_keys_argument(parser, *, compare: bool = False) -> None:
    parser.add_argument(
        "--foreign-keys",
        default="schema",
        help="schema: as the schema has them; checked: the database checks every key the schema leaves unchecked"
        " (db_constraint=False) during the measurement; or a comma-separated list of table.column to check"
        + (
            "; compare: each measurement without, then with every key checked (compare:table.column,... with those)"
            if compare
            else ""
        ),
    )


class ForeignKeysChecked:
    """Within the block, the database checks the unchecked foreign keys `spec` names: "schema" (none), "checked"
    (all) or a comma-separated list of table.column."""

    def __init__(self, spec: str):
        keys = unchecked_keys()
        if spec == "schema":
            self.keys = []
        elif spec == "checked":
            self.keys = keys
        else:
            named = {name.strip() for name in spec.split(",")}
            self.keys = [key for key in keys if f"{key.table}.{key.column}" in named]
            unknown = named - {f"{key.table}.{key.column}" for key in keys}
            if unknown:
                raise CommandError(
                    f"--foreign-keys: {', '.join(sorted(unknown))} is not an unchecked foreign key; they are "
                    + ", ".join(f"{key.table}.{key.column}" for key in keys)
                )

    def __enter__(self) -> ForeignKeysChecked:
        with connection.cursor() as cursor:
            for key in self.keys:
                cursor.execute(f'ALTER TABLE "{key.table}" DROP CONSTRAINT IF EXISTS "{key.constraint}"')
                cursor.execute(
                    f'ALTER TABLE "{key.table}" ADD CONSTRAINT "{key.constraint}" FOREIGN KEY ("{key.column}")'
                    f' REFERENCES "{key.target_table}" ("{key.target_column}") DEFERRABLE INITIALLY DEFERRED NOT VALID'
                )
        return self

    def __exit__(self, *exc_info) -> None:
        with connection.cursor() as cursor:
            for key in self.keys:
                cursor.execute(f'ALTER TABLE "{key.table}" DROP CONSTRAINT IF EXISTS "{key.constraint}"')

    def describe(self) -> str:
        if not self.keys:
            return "foreign keys as the schema has them (the db_constraint=False ones unchecked)"
        return "foreign keys checked by the database besides the schema's: " + ", ".join(map(str, self.keys))
